import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TributeCore
import TributeStore
import TributeTestSupport
@testable import TributeServer

/// The request id and the request log (SPEC §3.4): `X-Request-Id` echoed when it is a safe
/// token and made otherwise, on every answer, errors included; one `info` line a request
/// with its method, route pattern, status, time and id, and never a key, a header, the
/// query or the body.
@Suite struct RequestLogTests {
    static let requestIdHeader = HTTPField.Name("X-Request-Id")!

    @Test(arguments: ["abc", "0", "req-2026.11.30:trace_7", "550e8400-e29b-41d4-a716-446655440000", String(repeating: "x", count: 128)])
    func aCallersRequestIdIsEchoed(id: String) async throws {
        let fixture = try await MonitoringFixture(.sqlite)
        try await fixture.test { client in
            let response = try await client.send(.get, "/healthz", key: nil, headers: [("X-Request-Id", id)])
            #expect(response.headers[Self.requestIdHeader] == id)
        }
    }

    @Test(arguments: [String(repeating: "x", count: 129), "a b", "a\"b", "a,b", "über", "a/b", "line\\nbreak", "{id}", "%41"])
    func aRequestIdThatIsNoSafeTokenIsReplaced(id: String) async throws {
        let fixture = try await MonitoringFixture(.sqlite)
        try await fixture.test { client in
            let response = try await client.send(.get, "/healthz", key: nil, headers: [("X-Request-Id", id)])
            let given = try #require(response.headers[Self.requestIdHeader])
            #expect(given != id)
            #expect(given.hasPrefix("req_") && RequestID.isAcceptable(given))
        }
    }

    @Test func everyAnswerCarriesARequestIdAndEachItsOwn() async throws {
        let fixture = try await MonitoringFixture(.sqlite)
        let admin = fixture.adminKey
        try await fixture.test { client in
            let answers = [
                try await client.send(.get, "/healthz", key: nil),
                try await client.send(.get, "/v1/nothing-here", key: admin),
                try await client.send(.put, "/v1/plans", key: admin),
                try await client.send(.get, "/v1/workspaces", key: nil),
                try await client.send(.post, "/v1/workspaces", key: admin, body: "{not json"),
                try await client.send(.get, "/v1/workspaces/missing", key: admin),
            ]
            #expect(answers.map(\.status) == [.ok, .notFound, .methodNotAllowed, .unauthorized, .badRequest, .notFound])
            let ids = answers.compactMap { $0.headers[Self.requestIdHeader] }
            #expect(ids.count == answers.count)
            #expect(Set(ids).count == ids.count)
            #expect(ids.allSatisfy { $0.hasPrefix("req_") && RequestID.isAcceptable($0) })
        }
    }

    @Test(arguments: Backend.allCases)
    func eachRequestLogsOneLineWithItsFieldsAndNoSecret(backend: Backend) async throws {
        let fixture = try await MonitoringFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let admin = fixture.adminKey
        let recorder = LogRecorder()
        let body = #"{"workspaceId":"w","actionType":"SIMPLE_LLM","userId":"body-secret-9f2c"}"#
        try await fixture.test(logger: recorder.logger) { client in
            let response = try await client.send(.post, "/v1/agent-actions/authorize-and-debit?q=query-secret-41ab", key: admin, body: body,
                                                 headers: [("X-Request-Id", "trace-1"), ("Cookie", "tribute_session=cookie-secret-77de")])
            #expect(response.status == .ok)
            #expect(try await client.send(.get, "/v1/workspaces/w/nothing", key: admin).status == .notFound)
        }
        let lines = recorder.entries.filter { $0.message == "request" }
        #expect(lines.count == 2)
        let call = try #require(lines.first { $0.metadata["request_id"] == "trace-1" })
        #expect(call.level == .info)
        #expect(call.metadata["method"] == "POST")
        #expect(call.metadata["route"] == "/v1/agent-actions/authorize-and-debit")
        #expect(call.metadata["status"] == "200")
        let millis = try #require(call.metadata["duration_ms"])
        #expect(millis.range(of: #"^[0-9]+\.[0-9]{3}$"#, options: .regularExpression) != nil, "\(millis)")
        let miss = try #require(lines.first { $0.metadata["request_id"] != "trace-1" })
        #expect(miss.metadata["route"] == "unmatched" && miss.metadata["status"] == "404" && miss.metadata["method"] == "GET")
        #expect(miss.metadata["request_id"]?.hasPrefix("req_") == true)
        // Nothing the caller sent beyond the method ever reaches the log.
        for entry in recorder.entries {
            for secret in [admin, "body-secret-9f2c", "query-secret-41ab", "cookie-secret-77de", "Bearer"] {
                #expect(!entry.line.contains(secret), "\(entry.line)")
            }
        }
    }

    @Test func theRequestLogCanBeTurnedOff() async throws {
        let fixture = try await MonitoringFixture(.sqlite)
        let recorder = LogRecorder()
        try await fixture.test(monitoring: MonitoringSettings(logRequests: false), logger: recorder.logger) { client in
            let response = try await client.send(.get, "/healthz", key: nil)
            #expect(response.headers[Self.requestIdHeader] != nil)
        }
        #expect(!recorder.entries.contains { $0.message == "request" })
        // Metrics are kept all the same.
        let scrape = try Scrape(fixture.metrics.registry.emitToString())
        #expect(scrape.value(TributeMetrics.Name.requests, ["method": "GET", "route": "/healthz", "status": "200"]) == 1)
    }

    /// An unexpected error is a 500 that reveals nothing, carries the request id, and is
    /// logged with it: the id ties the client's answer to the server's line.
    @Test func anInternalErrorCarriesTheRequestIdInItsAnswerAndItsLogLine() async throws {
        struct Broken: Error {}
        let metrics = TributeMetrics()
        let router = Router(context: TributeContext.self)
        router.add(middleware: MonitoringMiddleware(metrics: metrics, logRequests: true))
        router.add(middleware: ErrorMiddleware())
        router.get("/broken") { _, _ -> Response in throw Broken() }
        let recorder = LogRecorder()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: RequestID.tagging(recorder.logger))
        try await app.test(.router) { client in
            let response = try await client.send(.get, "/broken", key: nil, headers: [("X-Request-Id", "trace-500")])
            #expect(response.status == .internalServerError && response.errorCode == "internal")
            #expect(response.headers[Self.requestIdHeader] == "trace-500")
        }
        let failure = try #require(recorder.entries.first { $0.message == "internal error" })
        #expect(failure.level == .error && failure.metadata["request_id"] == "trace-500")
        let line = try #require(recorder.entries.first { $0.message == "request" })
        #expect(line.metadata["status"] == "500" && line.metadata["route"] == "/broken" && line.metadata["request_id"] == "trace-500")
    }

    @Test(arguments: [(UInt64(0), "0.000"), (999, "0.000"), (1_000, "0.001"), (1_042_000, "1.042"), (12_345_678_901, "12345.678")])
    func durationsAreWrittenInMillisecondsWithThreeDecimals(nanoseconds: UInt64, text: String) {
        #expect(MonitoringMiddleware.millis(nanoseconds: nanoseconds) == text)
    }
}
