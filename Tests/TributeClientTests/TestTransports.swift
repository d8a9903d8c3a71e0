import AsyncHTTPClient
import Foundation
import NIOHTTP1
import TributeCore
@testable import TributeClient

/// One HTTP client for every test, configured as a `TributeClient` configures its own; it
/// lives as long as the test process.
let testHTTPClient = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                                configuration: TributeClient.recommendedHTTPClientConfiguration(requestTimeoutMillis: 5_000))

/// The real transport to a test server.
func realTransport(_ server: ServerProcess, key: String) -> any Transport {
    HTTPClientTransport(http: testHTTPClient, baseURL: server.baseURL, apiKey: key)
}

/// A client for `key` over `transport`.
func client(_ transport: any Transport, retry: TributeClient.RetryPolicy = .standard, outage: TributeClient.OutagePolicy = .failClosed) -> TributeClient {
    TributeClient(transport: transport, configuration: .init(retry: retry, outagePolicy: outage, requestTimeoutMillis: 5_000))
}

/// What a test transport saw: each attempt's request, when it was sent, and its status (0:
/// no answer).
struct Attempt: Sendable {
    let request: WireRequest
    let sentAt: ContinuousClock.Instant
    var status: Int = 0
    var answeredAt: ContinuousClock.Instant?
}

/// Forwards every attempt, records it, and can lose answers: the server applied the request,
/// but the client sees a failure in transit instead of its answer.
final class RecordingTransport: Transport, @unchecked Sendable {
    struct LostAnswer: Error {}

    private let inner: (any Transport)?
    private let lock = Lock()
    // Guarded by `lock`.
    private var attempts: [Attempt] = []
    private var answersToLose: Int

    /// `inner` nil: nothing listens (every attempt fails in transit).
    init(_ inner: (any Transport)?, losingFirstAnswers answersToLose: Int = 0) {
        self.inner = inner
        self.answersToLose = answersToLose
    }

    var seen: [Attempt] { lock.withLock { attempts } }

    func send(_ request: WireRequest, timeoutMillis: Int64) async throws -> WireResponse {
        let index = lock.withLock {
            attempts.append(Attempt(request: request, sentAt: .now))
            return attempts.count - 1
        }
        guard let inner else { throw LostAnswer() }
        let response = try await inner.send(request, timeoutMillis: timeoutMillis)
        let lose = lock.withLock {
            attempts[index].status = response.status
            attempts[index].answeredAt = .now
            guard answersToLose > 0 else { return false }
            answersToLose -= 1
            return true
        }
        if lose { throw LostAnswer() }
        return response
    }
}

/// Answers from a script, one per attempt (the last one repeats); no server.
final class ScriptedTransport: Transport, @unchecked Sendable {
    private let lock = Lock()
    private var script: [WireResponse]
    private var count = 0

    init(_ script: [WireResponse]) { self.script = script }

    var attempts: Int { lock.withLock { count } }

    func send(_ request: WireRequest, timeoutMillis: Int64) async throws -> WireResponse {
        lock.withLock {
            count += 1
            return script.count > 1 ? script.removeFirst() : script[0]
        }
    }

    static func answer(_ status: Int, _ body: String, headers: [(String, String)] = []) -> WireResponse {
        WireResponse(status: status, headers: HTTPHeaders(headers), body: Array(body.utf8))
    }
}

/// A one-shot latch: `wait()` returns once `open()` was called, cancellation or not.
final class Gate: @unchecked Sendable {
    private let lock = Lock()
    // Guarded by `lock`.
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func open() {
        let resumed = lock.withLock {
            isOpen = true
            defer { waiters = [] }
            return waiters
        }
        for waiter in resumed { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let ready = lock.withLock {
                if isOpen { return true }
                waiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }
}

/// The `TributeClientError` that `body` throws; `nil` when it throws none or another error.
func clientError(_ body: () async throws -> Void) async -> TributeClientError? {
    do {
        try await body()
        return nil
    } catch let error as TributeClientError {
        return error
    } catch {
        return nil
    }
}
