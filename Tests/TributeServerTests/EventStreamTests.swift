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
import TributeStore
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

    /// Reads until the server ends the stream. Only a stream that writes now and then (a
    /// short keep-alive) comes back here to see the deadline pass.
    /// - Returns: whether the stream ended within `seconds`.
    mutating func ended(within seconds: Int64) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            guard let chunk = try await iterator.next() else { return true }
            buffer += String(buffer: chunk)
        }
        return false
    }
}

/// One open stream on the client's side; dropping it closes the connection.
final class OpenStream {
    let response: HTTPClientResponse
    var reader: EventStreamReader

    init(_ opened: (HTTPClientResponse, EventStreamReader)) {
        response = opened.0
        reader = opened.1
    }
}

@Suite struct EventStreamTests {
    static func open(port: Int, key: String, workspace: String, lastEventId: String? = nil,
                     client: HTTPClient = .shared) async throws -> (HTTPClientResponse, EventStreamReader) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/workspaces/\(workspace)/events")
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        if let lastEventId { request.headers.add(name: "Last-Event-ID", value: lastEventId) }
        // The deadline covers the whole body: long, so that only the server ends a stream.
        let response = try await client.execute(request, timeout: .seconds(300))
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

    // MARK: Limits (SPEC §3.3)

    /// An HTTP client that holds many streams to one host at once (the shared one queues
    /// past 8 connections).
    static func streamingClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Waits, generously, for `condition`; a slow machine makes this slower, never flaky.
    static func eventually(within seconds: Int64 = 60, _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return condition()
    }

    /// Runs `body` against a live server over `fixture`'s store with `streams` settings.
    static func live(_ fixture: APIFixture, _ streams: LiveStreamSettings,
                     _ body: @Sendable @escaping (_ port: Int, _ client: HTTPClient, _ test: any TestClientProtocol) async throws -> Void) async throws {
        let app = buildApplication(store: fixture.store, host: "127.0.0.1", port: 0, logger: Logger(label: "test"), streams: streams)
        let http = streamingClient()
        do {
            try await app.test(.live) { client in try await body(try #require(client.port), http, client) }
        } catch {
            try await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    /// The refusal of a stream past a cap: `429 too_many_streams`, `Retry-After`, the error body.
    static func expectRefused(_ opened: (HTTPClientResponse, EventStreamReader), sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let (response, reader) = opened
        #expect(response.status.code == 429, sourceLocation: sourceLocation)
        #expect(response.headers.first(name: "Retry-After").flatMap(Int.init).map { $0 > 0 } == true, sourceLocation: sourceLocation)
        var iterator = reader.iterator
        var body = ByteBuffer()
        while var chunk = try await iterator.next() { body.writeBuffer(&chunk) }
        let error = try JSON.parse(Array(buffer: body)).objectValue?["error"]?.objectValue
        #expect(error?["code"]?.stringValue == "too_many_streams", sourceLocation: sourceLocation)
        #expect(error?["message"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
    }

    /// A key holds at most 16 streams; the 17th is refused while another key still connects.
    @Test(arguments: Backend.allCases)
    func theSeventeenthStreamOfAKeyIsRefusedWhileAnotherKeyConnects(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let viewer = try await fixture.key(.viewer, ["w"])
        let other = try await fixture.key(.viewer, ["w"])
        let settings = LiveStreamSettings()
        #expect(settings.maxPerKey == 16 && settings.maxOpen == 1_000 && settings.maxDurationSeconds == 3_600)
        try await Self.live(fixture, settings) { port, http, _ in
            var open: [OpenStream] = []
            for _ in 0..<16 {
                let stream = OpenStream(try await Self.open(port: port, key: viewer, workspace: "w", client: http))
                #expect(stream.response.status.code == 200)
                _ = try await stream.reader.next("balance")
                open.append(stream)
            }
            #expect(settings.counters.current.openStreams == 16)
            try await Self.expectRefused(try await Self.open(port: port, key: viewer, workspace: "w", client: http))

            let another = OpenStream(try await Self.open(port: port, key: other, workspace: "w", client: http))
            #expect(another.response.status.code == 200)
            _ = try await another.reader.next("balance")
            #expect(settings.counters.current.openStreams == 17)
            // Every stream of the workspace follows one reader.
            #expect(settings.counters.current.runningReaders == 1)
            withExtendedLifetime(open) {}
        }
    }

    /// The server's cap holds across keys.
    @Test(arguments: Backend.allCases)
    func theServerCapRefusesStreamsOfAnyKeyPastIt(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let keys = [try await fixture.key(.viewer, ["w"]), try await fixture.key(.viewer, ["w"]), try await fixture.key(.viewer, ["w"])]
        let settings = LiveStreamSettings(maxOpen: 2)
        try await Self.live(fixture, settings) { port, http, _ in
            let first = OpenStream(try await Self.open(port: port, key: keys[0], workspace: "w", client: http))
            let second = OpenStream(try await Self.open(port: port, key: keys[1], workspace: "w", client: http))
            #expect(first.response.status.code == 200 && second.response.status.code == 200)
            try await Self.expectRefused(try await Self.open(port: port, key: keys[2], workspace: "w", client: http))
            withExtendedLifetime([first, second]) {}
        }
    }

    /// A stream the client closes gives its slot back.
    @Test(arguments: Backend.allCases)
    func closingAStreamFreesItsSlot(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let viewer = try await fixture.key(.viewer, ["w"])
        // A short keep-alive: the server finds a closed connection at its next write.
        let settings = LiveStreamSettings(maxPerKey: 1, keyCheckMillis: 200, keepAliveSeconds: 1)
        try await Self.live(fixture, settings) { port, http, _ in
            var stream: OpenStream? = OpenStream(try await Self.open(port: port, key: viewer, workspace: "w", client: http))
            #expect(stream?.response.status.code == 200)
            _ = try await stream?.reader.next("balance")
            try await Self.expectRefused(try await Self.open(port: port, key: viewer, workspace: "w", client: http))

            stream = nil
            #expect(try await Self.eventually { settings.counters.current.openStreams == 0 })
            #expect(try await Self.eventually { settings.counters.current.runningReaders == 0 })
            let again = OpenStream(try await Self.open(port: port, key: viewer, workspace: "w", client: http))
            #expect(again.response.status.code == 200)
            _ = try await again.reader.next("balance")
            withExtendedLifetime(again) {}
        }
    }

    /// Revoking a key ends its open stream within seconds, and frees the slot.
    @Test(arguments: Backend.allCases)
    func revokingAKeyEndsItsOpenStream(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let (view, viewer) = try await fixture.store.createAPIKey(role: .viewer, workspaceIds: ["w"], name: nil)
        // The standard 2 s re-check; a 1 s keep-alive lets the reader see its deadline.
        let settings = LiveStreamSettings(keepAliveSeconds: 1)
        try await Self.live(fixture, settings) { port, http, client in
            let stream = OpenStream(try await Self.open(port: port, key: viewer, workspace: "w", client: http))
            #expect(stream.response.status.code == 200)
            _ = try await stream.reader.next("balance")
            let revoked = try await client.execute(uri: "/v1/api-keys/\(view.id)", method: .delete, headers: [.authorization: "Bearer \(fixture.adminKey)"])
            #expect(revoked.status == .noContent)
            #expect(try await stream.reader.ended(within: 30))
            #expect(try await Self.eventually { settings.counters.current.openStreams == 0 })
        }
    }

    /// A stream ends cleanly after its maximum duration; the client resumes where it was.
    @Test(arguments: Backend.allCases)
    func aStreamEndsAfterItsMaximumDurationAndResumes(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let viewer = try await fixture.key(.viewer, ["w"])
        // 5 s, not less: a stream's duration counts from before its first balance is read, so on a loaded machine
        // (PostgreSQL shared by every suite) a shorter one could end before its first balance.
        let settings = LiveStreamSettings(maxDurationSeconds: 5, keyCheckMillis: 200, keepAliveSeconds: 1)
        try await Self.live(fixture, settings) { port, http, _ in
            let stream = OpenStream(try await Self.open(port: port, key: viewer, workspace: "w", client: http))
            let balance = try await stream.reader.next("balance")
            #expect(try await stream.reader.ended(within: 30))
            #expect(try await Self.eventually { settings.counters.current.openStreams == 0 })
            let resumed = OpenStream(try await Self.open(port: port, key: viewer, workspace: "w", lastEventId: balance.id, client: http))
            #expect(resumed.response.status.code == 200)
            #expect(try await resumed.reader.next("balance").id == balance.id)
        }
    }

    /// Two streams of one workspace both see a debit, read from the store by one reader:
    /// neither stream reads on its own. A third, resuming from the start, catches up by
    /// itself and then follows the same reader. The reader stops when all leave.
    @Test(arguments: Backend.allCases)
    func streamsOfAWorkspaceShareOneReader(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let viewer = try await fixture.key(.viewer, ["w"])
        // A 1 s keep-alive: the server finds the closed streams soon after the test leaves them.
        let settings = LiveStreamSettings(keepAliveSeconds: 1)
        try await Self.live(fixture, settings) { port, http, client in
            var streams = [OpenStream(try await Self.open(port: port, key: viewer, workspace: "w", client: http)),
                           OpenStream(try await Self.open(port: port, key: fixture.adminKey, workspace: "w", client: http))]
            for stream in streams { _ = try await stream.reader.next("balance") }
            // The reader has its position and has polled: the debit reaches it as a change.
            #expect(try await Self.eventually { settings.counters.current.readerPolls > 0 })
            let debit = #"{"workspaceId":"w","actionType":"SIMPLE_LLM","userId":"u1"}"#
            #expect(try await client.send(.post, "/v1/agent-actions/authorize-and-debit", key: fixture.adminKey, body: debit).status == .ok)
            var ids: [String] = []
            for stream in streams {
                let decision = try await stream.reader.next("decision")
                #expect(decision.data?.objectValue?["userId"]?.stringValue == "u1")
                let balance = try await stream.reader.next("balance")
                #expect(balance.data?.objectValue?["remainingBalance"] == .number("9.9"))
                #expect(balance.id == decision.id)
                ids.append(decision.id)
            }
            #expect(ids[0] == ids[1])
            var counters = settings.counters.current
            #expect(counters.startedReaders == 1 && counters.runningReaders == 1)
            #expect(counters.catchUpReads == 0)

            // From the start: the first debit by its own reads, the next one from the reader.
            streams.append(OpenStream(try await Self.open(port: port, key: viewer, workspace: "w", lastEventId: "0-0", client: http)))
            #expect(try await streams[2].reader.next("decision").id == ids[0])
            #expect(try await client.send(.post, "/v1/agent-actions/authorize-and-debit", key: fixture.adminKey, body: debit).status == .ok)
            let second = try await streams.asyncMap { try await $0.reader.next("decision").id }
            #expect(Set(second).count == 1 && second[0] != ids[0])
            counters = settings.counters.current
            #expect(counters.startedReaders == 1 && counters.catchUpReads >= 1)

            streams.removeAll()
            #expect(try await Self.eventually { settings.counters.current.runningReaders == 0 && settings.counters.current.openStreams == 0 })
        }
    }
}


extension EventStreamTests {
    /// The dashboard's live view counts against its key's cap and ends when its sign-in
    /// ends, through the re-check the dashboard route supplies.
    @Test(arguments: Backend.allCases)
    func aDashboardStreamCountsAgainstItsKeyAndEndsAtSignOut(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let viewer = try await fixture.key(.viewer, ["w"])
        let settings = LiveStreamSettings(maxPerKey: 1, keyCheckMillis: 200, keepAliveSeconds: 1)
        try await Self.live(fixture, settings) { port, http, client in
            let session = try await DashboardTests.session(client, viewer)
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/workspaces/w/live")
            request.headers.add(name: "Cookie", value: "tribute_session=\(session)")
            let response = try await http.execute(request, timeout: .seconds(300))
            #expect(response.status.code == 200)
            var reader = EventStreamReader(iterator: response.body.makeAsyncIterator())
            _ = try await reader.next("balance")
            try await Self.expectRefused(try await Self.open(port: port, key: viewer, workspace: "w", client: http))

            let out = try await client.execute(uri: "/sign-out", method: .post, headers: DashboardTests.form("", cookie: session))
            #expect(out.status == .seeOther)
            #expect(try await reader.ended(within: 30))
            #expect(try await Self.eventually { settings.counters.current.openStreams == 0 })
        }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}

/// Clients that stop reading (SPEC §3.3): a stream's writes then block, and its watchdog —
/// not its writes — ends it at revocation or at its time limit, closing the connection.
extension EventStreamTests {
    /// Opens a stream of `w` on a raw connection with a small receive buffer that the test
    /// does not read from after the response's head.
    static func openUnread(port: Int, key: String, after: String? = nil) async throws -> RawConnection {
        let connection = try RawConnection(port: port, receiveBuffer: 4_096)
        let query = after.map { "?after=\($0)" } ?? ""
        try connection.send("GET /v1/workspaces/w/events\(query) HTTP/1.1\r\nHost: tribute\r\nAuthorization: Bearer \(key)\r\n\r\n")
        let head = try #require(await connection.read(seconds: 20), "closed at once")
        #expect(String(decoding: head, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        return connection
    }

    /// `count` decisions of `w` for `userId`, straight through the store; `padding` bytes of
    /// context each make them large (15,000: 400 of them are 6 MB of stream, more than the
    /// kernel's socket buffers and NIO's write buffer hold).
    static func debit(_ store: any TributeStore, count: Int, userId: String, padding: Int = 0) async throws {
        let context = padding > 0 ? #"{"pad":""# + String(repeating: "x", count: padding) + #""}"# : nil
        for _ in 0..<count {
            _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", userId: userId, context: context), idempotency: nil)
        }
    }

    /// Reads everything the server sent until it closes the connection.
    static func drain(_ connection: RawConnection, within seconds: Int64) async -> (text: String, closed: Bool) {
        var bytes: [UInt8] = []
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            guard let more = await connection.read(seconds: 1) else { return (String(decoding: bytes, as: UTF8.self), true) }
            bytes += more
        }
        return (String(decoding: bytes, as: UTF8.self), false)
    }

    /// A viewer's stream whose client stops reading while decisions pile up: its writes
    /// block. The key is revoked: within seconds the stream's connection is closed and its
    /// slot given back though the client never reads, and when the client reads again it
    /// finds nothing decided after the revocation.
    @Test(arguments: Backend.allCases)
    func aRevokedKeysStalledStreamIsCutAndDeliversNothingDecidedAfter(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 1_000))
        let (view, viewer) = try await fixture.store.createAPIKey(role: .viewer, workspaceIds: ["w"], name: nil)
        let settings = LiveStreamSettings(keyCheckMillis: 500)
        try await Self.live(fixture, settings) { port, _, _ in
            let connection = try await Self.openUnread(port: port, key: viewer)
            #expect(try await Self.eventually { settings.counters.current.readerPolls > 0 })
            try await Self.debit(fixture.store, count: 400, userId: "before-revocation", padding: 15_000)
            // The stream's write has waited a whole re-check: the client's socket is full.
            #expect(try await Self.eventually { settings.counters.current.stalledStreams == 1 })

            try await fixture.store.revokeAPIKey(id: view.id)
            try await Self.debit(fixture.store, count: 20, userId: "after-revocation")
            #expect(try await Self.eventually(within: 30) { settings.counters.current.openStreams == 0 })
            let counters = settings.counters.current
            #expect(counters.cutStreams == 1 && counters.stalledStreams == 0 && counters.runningReaders == 0)
            try await Self.debit(fixture.store, count: 20, userId: "after-revocation")

            let received = await Self.drain(connection, within: 60)
            #expect(received.closed)
            #expect(received.text.contains("before-revocation"))
            #expect(!received.text.contains("after-revocation"))
        }
    }

    /// A client that stops reading holds its slot no longer than the stream's time limit
    /// (2 s here): the connection is closed, and the key (allowed one stream) connects again.
    @Test(arguments: Backend.allCases)
    func aStalledStreamIsCutAtItsMaximumDurationAndFreesItsSlot(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 1_000))
        let viewer = try await fixture.key(.viewer, ["w"])
        // 6 MB of history: a stream from the start blocks in its catch-up at once.
        try await Self.debit(fixture.store, count: 400, userId: "u1", padding: 15_000)
        let settings = LiveStreamSettings(maxPerKey: 1, maxDurationSeconds: 2, keyCheckMillis: 500)
        try await Self.live(fixture, settings) { port, http, _ in
            let connection = try await Self.openUnread(port: port, key: viewer, after: "0-0")
            // Usually the catch-up's write is blocked when the time runs out and the watchdog
            // cuts the connection; on a loaded machine the catch-up may still be reading the
            // store then and end by itself. Either way the slot must come back.
            #expect(try await Self.eventually(within: 30) { settings.counters.current.openStreams == 0 })
            #expect(settings.counters.current.cutStreams <= 1)
            #expect(settings.counters.current.stalledStreams == 0)

            let again = OpenStream(try await Self.open(port: port, key: viewer, workspace: "w", client: http))
            #expect(again.response.status.code == 200)
            _ = try await again.reader.next("balance")
            #expect(await Self.drain(connection, within: 60).closed)
            withExtendedLifetime(again) {}
        }
    }

    /// A position past the workspace's newest was never sent: `422 invalid_value`, from
    /// `after` or `Last-Event-ID`, rather than a stream that stays silent for good.
    @Test(arguments: Backend.allCases)
    func aPositionFromTheFutureIsRefused(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let viewer = try await fixture.key(.viewer, ["w"])
        try await Self.debit(fixture.store, count: 2, userId: "u1")
        let now = try await fixture.store.streamPosition(workspaceId: "w")
        try await fixture.test { client in
            let auth: HTTPFields = [.authorization: "Bearer \(viewer)"]
            for after in ["999999999999999999-999999999999999999", "0-\(now.decisionSeq + 1)", "\(now.eventSeq + 1)-0"] {
                let response = try await client.execute(uri: "/v1/workspaces/w/events?after=\(after)", method: .get, headers: auth)
                #expect(response.status == .unprocessableContent, "\(after)")
                #expect(try JSON.parse(Array(buffer: response.body)).objectValue?["error"]?.objectValue?["code"]?.stringValue == "invalid_value")
                var header = auth
                header[HTTPField.Name("Last-Event-ID")!] = after
                #expect(try await client.execute(uri: "/v1/workspaces/w/events", method: .get, headers: header).status == .unprocessableContent, "\(after)")
            }
        }
    }
}

/// Catching up is bounded (SPEC §3.3): a resume replays at most `maxReplayItems` events and
/// decisions, and each page it reads takes a token from its key's rate limit.
extension EventStreamTests {
    /// A resume from `0-0` over 120 decisions with a window of 50: the stream says `reset`
    /// (from `0-0` to now), then the balance now, and replays none of the 120; the next
    /// decision comes live. A resume within the window still replays exactly what it missed.
    @Test(arguments: Backend.allCases)
    func aResumeOlderThanTheReplayWindowGetsAResetInsteadOfTheHistory(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 1_000))
        let viewer = try await fixture.key(.viewer, ["w"])
        try await Self.debit(fixture.store, count: 80, userId: "old")
        let within = try await fixture.store.streamPosition(workspaceId: "w")
        try await Self.debit(fixture.store, count: 40, userId: "recent")
        let now = try await fixture.store.streamPosition(workspaceId: "w")
        let settings = LiveStreamSettings(keepAliveSeconds: 1, maxReplayItems: 50)
        try await Self.live(fixture, settings) { port, http, client in
            let stream = OpenStream(try await Self.open(port: port, key: viewer, workspace: "w", lastEventId: "0-0", client: http))
            #expect(stream.response.status.code == 200)
            let reset = try await stream.reader.next("reset")
            #expect(reset.id == now.description)
            #expect(reset.data?.objectValue?["from"]?.stringValue == "0-0")
            #expect(reset.data?.objectValue?["to"]?.stringValue == now.description)
            #expect(reset.data?.objectValue?["maxReplayItems"] == .number("50"))
            let balance = try await stream.reader.next("balance")
            #expect(balance.id == now.description)
            #expect(settings.counters.current.replayResets == 1)

            let debit = #"{"workspaceId":"w","actionType":"SIMPLE_LLM","userId":"live"}"#
            #expect(try await client.send(.post, "/v1/agent-actions/authorize-and-debit", key: fixture.adminKey, body: debit).status == .ok)
            // Nothing of the 120 came before it.
            #expect(try await stream.reader.next("decision").data?.objectValue?["userId"]?.stringValue == "live")

            // 40 back, inside the window: replayed, each once, and no reset.
            let resumed = OpenStream(try await Self.open(port: port, key: viewer, workspace: "w", lastEventId: within.description, client: http))
            var users: [String] = []
            for _ in 0..<41 { users.append(try await resumed.reader.next("decision").data?.objectValue?["userId"]?.stringValue ?? "") }
            #expect(users == Array(repeating: "recent", count: 40) + ["live"])
            #expect(settings.counters.current.replayResets == 1)
        }
    }

    /// Each page a catch-up reads takes a token from the key's bucket, as a call would: a
    /// viewer with a burst of 10 that resumes over 350 decisions has, after its stream's
    /// open and its pages, only what is left for calls.
    @Test(arguments: Backend.allCases)
    func replayedPagesTakeTokensFromTheKeysRateLimit(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 1_000))
        // The fixture's clock stands still: the bucket does not refill during the test.
        let viewer = try await fixture.store.createAPIKey(role: .viewer, workspaceIds: ["w"], name: nil, rateLimit: RateLimit(perSecond: 1, burst: 10)).secret
        try await Self.debit(fixture.store, count: 350, userId: "u1")
        let now = try await fixture.store.streamPosition(workspaceId: "w")
        let settings = LiveStreamSettings(keepAliveSeconds: 1)
        try await Self.live(fixture, settings) { port, http, client in
            let stream = OpenStream(try await Self.open(port: port, key: viewer, workspace: "w", lastEventId: "0-0", client: http))
            #expect(stream.response.status.code == 200)
            var last = ""
            while last != now.description { last = try await stream.reader.next("decision").id }
            let pages = settings.counters.current.catchUpReads
            #expect(pages >= 4)
            var allowed = 0
            for _ in 0..<12 {
                let answer = try await client.send(.get, "/v1/workspaces/w", key: viewer)
                guard answer.status == .ok else {
                    #expect(answer.status == .tooManyRequests)
                    break
                }
                allowed += 1
            }
            // One token opened the stream, one per page; the calls have the rest.
            #expect(allowed == 10 - 1 - pages)
        }
    }

    /// With its key's bucket empty, a catch-up waits for the next token instead of reading
    /// on; when the clock brings tokens, it goes on and misses nothing.
    @Test(arguments: Backend.allCases)
    func aCatchUpWaitsForItsKeysTokens(backend: Backend) async throws {
        let clock = ManualClock(millis: Identifier.currentMillis())
        let (store, _) = try await backend.makeStore(clock: clock)
        _ = try await store.createWorkspace(WorkspaceDraft(id: "w", name: "w", planId: "prepaid", anchorDate: nil))
        _ = try await store.grantCredits(workspaceId: "w", grant: CreditGrantDraft(amount: Amount(units: 1_000), expiresAt: nil, note: nil))
        let viewer = try await store.createAPIKey(role: .viewer, workspaceIds: ["w"], name: nil, rateLimit: RateLimit(perSecond: 1, burst: 3)).secret
        try await Self.debit(store, count: 350, userId: "u1")
        let now = try await store.streamPosition(workspaceId: "w")
        let settings = LiveStreamSettings(keyCheckMillis: 200, keepAliveSeconds: 1)
        let app = buildApplication(store: store, host: "127.0.0.1", port: 0, logger: Logger(label: "test"), streams: settings)
        let http = Self.streamingClient()
        do {
            try await app.test(.live) { client in
                let port = try #require(client.port)
                let stream = OpenStream(try await Self.open(port: port, key: viewer, workspace: "w", lastEventId: "0-0", client: http))
                #expect(stream.response.status.code == 200)
                // The open and two pages took the burst: the third page waits, and waits again.
                #expect(try await Self.eventually { settings.counters.current.replayWaits >= 3 })
                #expect(settings.counters.current.catchUpReads == 2)
                // Time moves: a token a second comes back, and the catch-up goes on.
                let ticking = Task {
                    while !Task.isCancelled {
                        clock.advance(seconds: 1)
                        try? await Task.sleep(for: .milliseconds(100))
                    }
                }
                defer { ticking.cancel() }
                var last = ""
                var count = 0
                while last != now.description {
                    last = try await stream.reader.next("decision").id
                    count += 1
                }
                #expect(count == 350)
                #expect(settings.counters.current.catchUpReads >= 4)
            }
        } catch {
            try await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }
}
