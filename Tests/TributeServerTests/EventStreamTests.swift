import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import TributeCore
import TributeServer
import TributeTestSupport

/// A Server-Sent Events client: reads messages off a streaming response.
struct EventStreamReader {
    struct Message: Sendable {
        var event: String
        var id: String
        var data: JSON?
    }

    struct TimedOut: Error {}

    var iterator: HTTPClientResponse.Body.AsyncIterator
    var buffer = ""

    /// The next message whose `event` is `type`, skipping others, within 10 s.
    mutating func next(_ type: String) async throws -> Message {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            while let end = buffer.range(of: "\n\n") {
                let block = buffer[..<end.lowerBound]
                buffer = String(buffer[end.upperBound...])
                var message = Message(event: "message", id: "", data: nil)
                for line in block.split(separator: "\n") {
                    if line.hasPrefix("event: ") { message.event = String(line.dropFirst(7)) }
                    if line.hasPrefix("id: ") { message.id = String(line.dropFirst(4)) }
                    if line.hasPrefix("data: ") { message.data = try? JSON.parse(Array(line.dropFirst(6).utf8)) }
                }
                if message.event == type { return message }
            }
            guard let chunk = try await iterator.next() else { break }
            buffer += String(buffer: chunk)
        }
        throw TimedOut()
    }
}

@Suite struct EventStreamTests {
    static func open(port: Int, key: String, workspace: String, lastEventId: String? = nil) async throws -> (HTTPClientResponse, EventStreamReader) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/workspaces/\(workspace)/events")
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        if let lastEventId { request.headers.add(name: "Last-Event-ID", value: lastEventId) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        return (response, EventStreamReader(iterator: response.body.makeAsyncIterator()))
    }

    /// A client on the stream sees a debit's decision and the new balance, without asking.
    @Test(arguments: Backend.allCases)
    func aConnectedClientSeesADebitsDecisionAndTheNewBalance(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let viewer = try await fixture.key(.viewer, ["w"])
        let app = buildApplication(store: fixture.store, host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let (response, opened) = try await Self.open(port: port, key: viewer, workspace: "w")
            var reader = opened
            #expect(response.status.code == 200)
            #expect(response.headers.first(name: "Content-Type")?.hasPrefix("text/event-stream") == true)
            let first = try await reader.next("balance")
            #expect(first.data?.objectValue?["remainingBalance"] == .number("10"))

            let debit = try await client.execute(
                uri: "/v1/agent-actions/authorize-and-debit", method: .post, headers: [.authorization: "Bearer \(fixture.adminKey)"],
                body: ByteBuffer(string: #"{"workspaceId":"w","actionType":"SIMPLE_LLM","userId":"u1"}"#))
            #expect(debit.status == .ok)
            let decision = try await reader.next("decision")
            #expect(decision.data?.objectValue?["success"] == .bool(true))
            #expect(decision.data?.objectValue?["userId"]?.stringValue == "u1")
            let balance = try await reader.next("balance")
            #expect(balance.data?.objectValue?["remainingBalance"] == .number("9.9"))
            #expect(balance.id == decision.id)

            // Resuming from before the debit replays it.
            let (_, resumedReader) = try await Self.open(port: port, key: viewer, workspace: "w", lastEventId: "0-0")
            var resumed = resumedReader
            #expect(try await resumed.next("decision").id == decision.id)
        }
    }

    @Test func theStreamKeepsItsWorkspaceToItsKeys() async throws {
        let fixture = try await APIFixture(.sqlite)
        try await fixture.workspace("mine", credits: .one)
        try await fixture.workspace("theirs", credits: .one)
        let viewer = try await fixture.key(.viewer, ["mine"])
        try await fixture.test { client in
            let other = try await client.execute(uri: "/v1/workspaces/theirs/events", method: .get, headers: [.authorization: "Bearer \(viewer)"])
            #expect(other.status == .forbidden)
            let none = try await client.execute(uri: "/v1/workspaces/mine/events", method: .get)
            #expect(none.status == .unauthorized)
            let bad = try await client.execute(uri: "/v1/workspaces/mine/events", method: .get,
                                               headers: [.authorization: "Bearer \(viewer)", HTTPField.Name("Last-Event-ID")!: "nonsense"])
            #expect(bad.status == .unprocessableContent)
        }
    }
}
