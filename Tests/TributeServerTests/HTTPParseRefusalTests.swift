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

    /// Everything the server sends on `connection` until it closes it: head and body apart.
    static func untilClosed(_ connection: RawConnection) async throws -> (head: String, body: String) {
        var bytes: [UInt8] = []
        let start = ContinuousClock.now
        while let more = await connection.read(seconds: 0.5) {
            bytes += more
            guard ContinuousClock.now - start < .seconds(20) else { throw RawConnection.Failure(description: "still open") }
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let end = try #require(text.range(of: "\r\n\r\n"), "no whole head: \(text)")
        return (String(text[..<end.lowerBound]), String(text[end.upperBound...]))
    }

    /// The `Content-Length` a head declares.
    static func contentLength(_ head: String) -> Int? {
        head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }
    }

    /// An empty line a client sends before its request (RFC 9112 §2.2) does not end the
    /// request's line: a URL past the limit after one is still the URL's overflow.
    @Test func anEmptyLineBeforeTheRequestIsNotItsLine() async throws {
        let url = "/v1/plans?pad=" + String(repeating: "a", count: 200_000)
        try await Self.answer(to: "\r\nGET \(url) HTTP/1.1\r\nHost: tribute\r\n\r\n") { status, body in
            #expect(status.hasPrefix("HTTP/1.1 414"), "\(status)")
            #expect(Self.code(body) == "uri_too_long")
        }
    }

    /// The answer to a `HEAD` the parser refuses is bodiless, like every answer to a `HEAD`:
    /// its status and `Content-Length` say what a `GET` would get, and nothing follows them
    /// before the connection closes.
    @Test(arguments: [
        ("HEAD /v1/plans?x=" + String(repeating: "a", count: 200_000) + " HTTP/1.1\r\nHost: tribute\r\n\r\n", 414),
        ("HEAD /healthz HTTP/1.1\r\nHost: tribute\r\nX-Pad: " + String(repeating: "b", count: 100_000) + "\r\n\r\n", 431),
        ("HEAD /healthz HTTP/1.1\r\nHost tribute\r\n\r\n", 400),
        ("\r\nHEAD /healthz HTTP/1.1\r\nHost tribute\r\n\r\n", 400),
    ])
    func aRefusedHeadIsAnsweredWithoutBody(request: String, status: Int) async throws {
        try await HTTPTimeoutTests.withServer(.standard) { port in
            let connection = try RawConnection(port: port)
            try connection.send(request)
            let (head, body) = try await Self.untilClosed(connection)
            #expect(head.hasPrefix("HTTP/1.1 \(status)"), "\(head)")
            #expect((Self.contentLength(head) ?? 0) > 0, "\(head)")
            #expect(body.isEmpty, "\(body)")
        }
    }

    /// A `HEAD` whose method arrives in two reads is still seen for one, and on a connection
    /// that served a `HEAD` before, a `GET` the parser refuses gets its body again.
    @Test func theMethodIsTheCurrentRequests() async throws {
        try await HTTPTimeoutTests.withServer(.standard) { port in
            let split = try RawConnection(port: port)
            try split.send("HE")
            try await Task.sleep(for: .milliseconds(100))
            try split.send("AD /v1/plans?x=" + String(repeating: "a", count: 200_000) + " HTTP/1.1\r\nHost: tribute\r\n\r\n")
            let refusedHead = try await Self.untilClosed(split)
            #expect(refusedHead.head.hasPrefix("HTTP/1.1 414") && refusedHead.body.isEmpty, "\(refusedHead.head)")

            let again = try RawConnection(port: port)
            try again.send("HEAD /healthz HTTP/1.1\r\nHost: tribute\r\n\r\n")
            let served = String(decoding: try #require(await again.read(seconds: 20)), as: UTF8.self)
            #expect(served.hasPrefix("HTTP/1.1 200") && served.hasSuffix("\r\n\r\n"), "\(served)")
            try again.send("GET /v1/plans?x=" + String(repeating: "a", count: 200_000) + " HTTP/1.1\r\nHost: tribute\r\n\r\n")
            let refusedGet = try await Self.untilClosed(again)
            #expect(refusedGet.head.hasPrefix("HTTP/1.1 414"), "\(refusedGet.head)")
            #expect(refusedGet.body.utf8.count == Self.contentLength(refusedGet.head) && Self.code(try? JSON.parse(Array(refusedGet.body.utf8))) == "uri_too_long")
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
