import Foundation
import Testing
import TributeCore
@testable import TributeClient
#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener on 127.0.0.1 that answers every connection with an HTTP head promising a
/// body of 1,000 bytes, sends one, and then says nothing more until it is stopped.
final class StallingServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let lock = Lock()
    // Guarded by `lock`.
    private var connections: [Int32] = []

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        listener = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound else { throw Refused() }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in
            while true {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else { return }
                lock.withLock { connections.append(connection) }
                var buffer = [UInt8](repeating: 0, count: 4096)
                _ = read(connection, &buffer, buffer.count)
                let head = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{".utf8)
                _ = head.withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
            }
        }
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for connection in lock.withLock({ connections }) { close(connection) }
    }

    struct Refused: Error {}
}

// A time limit, so that a regression (an attempt that waits on a stalled body for ever) fails
// instead of holding the run.
@Suite(.timeLimit(.minutes(3))) struct StallingAnswerTests {
    /// AsyncHTTPClient's deadline ends with the answer's head; the attempt's own bound must
    /// cover the body too, or a stalled answer holds the call (and a `withHold` release).
    @Test func anAnswerThatStallsMidBodyEndsTheAttemptAtItsTimeout() async throws {
        let server = try StallingServer()
        defer { server.stop() }
        let client = TributeClient(transport: HTTPClientTransport(http: testHTTPClient, baseURL: "http://127.0.0.1:\(server.port)", apiKey: "k"),
                                   configuration: .init(retry: .init(maxAttempts: 2, baseDelayMillis: 10, maxDelayMillis: 10, totalBudgetMillis: 120_000),
                                                        requestTimeoutMillis: 500))
        let started = ContinuousClock.now
        await #expect {
            _ = try await client.authorizeAndDebit(workspaceId: "w", actionType: "SIMPLE_LLM")
        } throws: { error in
            guard case TributeClientError.unavailable(let attempts, let why) = error else { return false }
            return attempts == 2 && why.contains("no whole answer within 500 ms")
        }
        // Two attempts of 0.5 s each, however loaded the machine: a stalled read would never end.
        #expect(ContinuousClock.now - started < .seconds(120))
    }

    /// A key the server would refuse is refused before anything is sent — never taken for an
    /// outage, so never allowed locally under `.failOpen`.
    @Test(arguments: ["bad\nkey", "nul\u{0}key", "with space", "", String(repeating: "k", count: 256), "ключ"])
    func anIdempotencyKeyTheServerWouldRefuseIsRefusedBeforeSending(key: String) async throws {
        let transport = RecordingTransport(nil)
        let allowed = Counter()
        let client = client(transport, outage: .failOpen(maxActions: 5, onUnrecorded: { _ in allowed.add() }))
        for call in [
            { _ = try await client.authorizeAndDebit(workspaceId: "w", actionType: "SIMPLE_LLM", idempotencyKey: key) },
            { _ = try await client.hold(workspaceId: "w", actionType: "SIMPLE_LLM", idempotencyKey: key) },
            { _ = try await client.commit(holdId: "hold_1", idempotencyKey: key) },
            { _ = try await client.release(holdId: "hold_1", idempotencyKey: key) },
        ] as [@Sendable () async throws -> Void] {
            await #expect {
                try await call()
            } throws: { error in
                guard case TributeClientError.invalidConfiguration = error else { return false }
                return true
            }
        }
        #expect(transport.seen.isEmpty && allowed.value == 0 && client.unrecordedActions.isEmpty)
    }

    /// A hold's report uses a key derived from the hold's, never the hold's own (which the
    /// server would refuse on another route), whatever its length.
    @Test func aHoldsReportKeyIsNeverTheHoldsKey() async throws {
        let transport = RecordingTransport(nil)
        let client = client(transport, retry: .never)
        let key = String(repeating: "h", count: 255)
        let action = UnrecordedAction(kind: .hold, workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: .one, usage: nil, userId: nil, agentId: nil,
                                      runId: nil, context: nil, idempotencyKey: key, allowedAt: Date(), lastFailure: "down")
        _ = try? await client.report(action)
        _ = try? await client.report(action)
        let sent = transport.seen.compactMap(\.request.idempotencyKey)
        #expect(sent.count == 2 && sent[0] == sent[1] && sent[0] != key && sent[0].utf8.count <= 255)
    }
}

/// A count shared by callbacks.
final class Counter: @unchecked Sendable {
    private let lock = Lock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
