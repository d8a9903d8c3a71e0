import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TributeCore
@testable import TributeServer
import TributeTestSupport

/// `HEAD` is `GET` without the body (RFC 9110 §9.3.2): the same status and headers,
/// `Content-Length` included, and no content, for answers and errors alike.
@Suite struct HeadRequestTests {
    @Test func headAnswersAsGetWithoutTheBody() async throws {
        let fixture = try await APIFixture(.sqlite)
        try await fixture.workspace("w", credits: Amount(units: 5))
        try await fixture.test { client in
            for (path, key) in [("/healthz", nil), ("/openapi.yaml", nil), ("/v1/plans", fixture.adminKey), ("/v1/workspaces/w", fixture.adminKey)] as [(String, String?)] {
                let get = try await client.send(.get, path, key: key)
                let head = try await client.send(.head, path, key: key)
                #expect(get.status == .ok, "GET \(path)")
                #expect(head.status == .ok, "HEAD \(path)")
                #expect(head.body.readableBytes == 0, "HEAD \(path) has a body")
                #expect(head.headers[.contentLength] == String(get.body.readableBytes), "HEAD \(path): \(head.headers[.contentLength] ?? "none")")
                #expect(head.headers[.contentType] == get.headers[.contentType], "HEAD \(path)")
            }
        }
    }

    /// An error's answer loses its body too; its status and headers stay.
    @Test func headOfAnErrorHasTheErrorsStatusAndNoBody() async throws {
        let fixture = try await APIFixture(.sqlite)
        try await fixture.test { client in
            let unauthenticated = try await client.send(.head, "/v1/plans", key: nil)
            #expect(unauthenticated.status == .unauthorized)
            #expect(unauthenticated.headers[.wwwAuthenticate] == "Bearer")
            #expect(unauthenticated.body.readableBytes == 0)
            let missing = try await client.send(.head, "/v1/workspaces/nope", key: fixture.adminKey)
            #expect(missing.status == .notFound && missing.body.readableBytes == 0)
            // A path with no GET: 405, naming its methods.
            let postOnly = try await client.send(.head, "/v1/agent-actions/authorize-and-debit", key: fixture.adminKey)
            #expect(postOnly.status == .methodNotAllowed && postOnly.headers[.allow] == "POST" && postOnly.body.readableBytes == 0)
        }
    }

    /// Over a real connection the server sends the head only, and the connection goes on
    /// to the next request.
    @Test func headOverTheWireSendsNoBodyAndKeepsTheConnection() async throws {
        try await HTTPTimeoutTests.withServer(.standard) { port in
            let connection = try RawConnection(port: port)
            try connection.send("HEAD /healthz HTTP/1.1\r\nHost: tribute\r\n\r\nGET /healthz HTTP/1.1\r\nHost: tribute\r\n\r\n")
            var text = ""
            let start = ContinuousClock.now
            while text.components(separatedBy: "HTTP/1.1 200").count < 3, ContinuousClock.now - start < .seconds(20) {
                guard let more = await connection.read(seconds: 0.5) else { break }
                text += String(decoding: more, as: UTF8.self)
            }
            let answers = text.components(separatedBy: "HTTP/1.1 ").dropFirst()
            #expect(answers.count == 2, "\(text)")
            // The HEAD answer ends at its blank line: the next bytes start the GET's answer.
            let head = try #require(answers.first)
            #expect(head.hasSuffix("\r\n\r\n") && head.lowercased().contains("content-length: 15"), "\(head)")
            #expect(answers.last?.hasSuffix(#"{"status":"ok"}"#) == true, "\(text)")
        }
    }
}
