import Foundation
import Testing
import TributeCore
@testable import TributeServer

/// A request the HTTP parser refuses is answered in the API's error shape, with a status
/// that says why, never a bare `400` with no body.
@Suite struct HTTPParseRefusalTests {
    /// Sends `request` on a fresh connection to a live server, and hands the answer's status
    /// line and JSON body to `check`.
    static func answer(to request: String, _ check: @Sendable @escaping (_ statusLine: String, _ body: JSON?) -> Void) async throws {
        try await HTTPTimeoutTests.withServer(.standard) { port in
            let connection = try RawConnection(port: port)
            try connection.send(request)
            let text = try await connection.response()
            let parts = text.components(separatedBy: "\r\n\r\n")
            check(parts.first?.components(separatedBy: "\r\n").first ?? "", try? JSON.parse(Array(parts.dropFirst().joined(separator: "\r\n\r\n").utf8)))
        }
    }

    static func code(_ body: JSON?) -> String? { body?.objectValue?["error"]?.objectValue?["code"]?.stringValue }

    @Test func aURLPastTheHeadLimitIs414WithTheErrorShape() async throws {
        let url = "/v1/plans?pad=" + String(repeating: "a", count: 200_000)
        try await Self.answer(to: "GET \(url) HTTP/1.1\r\nHost: tribute\r\n\r\n") { status, body in
            #expect(status.hasPrefix("HTTP/1.1 414"), "\(status)")
            #expect(Self.code(body) == "uri_too_long")
            #expect(body?.objectValue?["error"]?.objectValue?["message"]?.stringValue?.contains("80 KiB") == true)
        }
    }

    @Test func headersPastTheHeadLimitAre431WithTheErrorShape() async throws {
        let header = "X-Pad: " + String(repeating: "b", count: 100_000) + "\r\n"
        try await Self.answer(to: "GET /healthz HTTP/1.1\r\nHost: tribute\r\n\(header)\r\n") { status, body in
            #expect(status.hasPrefix("HTTP/1.1 431"), "\(status)")
            #expect(Self.code(body) == "headers_too_large")
        }
    }

    @Test func tooManyHeaderFieldsAre431() async throws {
        let headers = (0..<1_100).map { "X-F\($0): v\r\n" }.joined()
        try await Self.answer(to: "GET /healthz HTTP/1.1\r\nHost: tribute\r\n\(headers)\r\n") { status, body in
            #expect(status.hasPrefix("HTTP/1.1 431"), "\(status)")
            #expect(Self.code(body) == "headers_too_large")
        }
    }

    @Test func whatIsNotHTTPIs400WithTheErrorShape() async throws {
        try await Self.answer(to: "GET /healthz HTTP/1.1\r\nHost tribute\r\n\r\n") { status, body in
            #expect(status.hasPrefix("HTTP/1.1 400"), "\(status)")
            #expect(Self.code(body) == "malformed_request")
        }
    }

    /// A request just under the limit is served as usual.
    @Test func aLongURLUnderTheLimitIsServed() async throws {
        let url = "/healthz?pad=" + String(repeating: "a", count: 60_000)
        try await Self.answer(to: "GET \(url) HTTP/1.1\r\nHost: tribute\r\n\r\n") { status, body in
            #expect(status.hasPrefix("HTTP/1.1 200"), "\(status)")
            #expect(body?.objectValue?["status"]?.stringValue == "ok")
        }
    }

    @Test(arguments: [(false, 414), (true, 431)])
    func anOverflowIsTheURLsWhileTheRequestLineArrives(requestLineEnded: Bool, status: Int) {
        #expect(HTTPParseRefusal.refusal(for: .headerOverflow, requestLineEnded: requestLineEnded).status.code == status)
    }
}
