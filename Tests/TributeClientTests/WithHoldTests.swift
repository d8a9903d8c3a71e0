import Foundation
import Testing
import TributeCore
@testable import TributeClient

/// `withHold`: commit what the body returns; release when it throws, when the task is
/// cancelled, and when the hold call itself was interrupted by cancellation.
@Suite(.serialized, .timeLimit(.minutes(3))) struct WithHoldTests {
    struct ModelFailed: Error {}

    @Test func theBodysActualCostIsCommittedAndTheRestGivenBack() async throws {
        try await withServer { server, admin in
            let tribute = client(realTransport(server, key: admin.key))
            var heldId: String?
            let commit = try await tribute.withHold(workspaceId: "acme", actionType: "COMPLEX_LLM", costMultiplier: .of("4.096")) { hold in
                heldId = hold.holdId
                #expect(hold.actionsCharged == .of("20.48"))
                return .costMultiplier(.of("1.2"))
            }
            #expect(commit.status == .committed && commit.actionsCharged == .of("6") && commit.debitAmount == .of("0.6"))
            #expect(commit.holdId == heldId && commit.recorded)
            #expect(try await admin.balances("acme") == (balance: .of("99.4"), held: .zero))
        }
    }

    @Test func aHoldIsReleasedWhenTheBodyThrowsAndTheErrorIsRethrown() async throws {
        try await withServer { server, admin in
            let tribute = client(realTransport(server, key: admin.key))
            var heldId: String?
            await #expect(throws: ModelFailed.self) {
                _ = try await tribute.withHold(workspaceId: "acme", actionType: "COMPLEX_LLM", costMultiplier: .of("3")) { hold in
                    heldId = hold.holdId
                    throw ModelFailed()
                }
            }
            let state = try await tribute.hold(id: try #require(heldId))
            #expect(state.status == .released && state.committedActions == .zero)
            #expect(try await admin.balances("acme") == (balance: .of("100"), held: .zero))
        }
    }

    @Test func aDeniedHoldThrowsItsReasonWithoutRunningTheBody() async throws {
        try await withServer { server, admin in
            try await admin.setBudget(workspace: "acme", scope: "run:tight", limit: "4")
            let tribute = client(realTransport(server, key: admin.key))
            var ran = false
            let error = await clientError {
                _ = try await tribute.withHold(workspaceId: "acme", actionType: "COMPLEX_LLM", runId: "tight") { _ in
                    ran = true
                    return .everythingHeld
                }
            }
            guard case .denied(let reason, let decision)? = error else {
                Issue.record("expected a denial, got \(String(describing: error))")
                return
            }
            #expect(reason == .budgetExceeded && !decision.success && !ran)
        }
    }

    @Test func aHoldIsReleasedWhenTheTaskIsCancelledDuringTheBody() async throws {
        try await withServer { server, admin in
            let tribute = client(realTransport(server, key: admin.key))
            let (started, holding) = AsyncStream<String>.makeStream()
            let task = Task {
                try await tribute.withHold(workspaceId: "acme", actionType: "COMPLEX_LLM", costMultiplier: .of("2")) { hold in
                    holding.yield(hold.holdId ?? "")
                    try await Task.sleep(for: .seconds(120))
                    return .everythingHeld
                }
            }
            var iterator = started.makeAsyncIterator()
            let holdId = try #require(await iterator.next())
            #expect(try await admin.balances("acme").held == .of("1"))
            task.cancel()
            let result = await task.result
            #expect(throws: CancellationError.self) { try result.get() }
            let state = try await tribute.hold(id: holdId)
            #expect(state.status == .released)
            #expect(try await admin.balances("acme") == (balance: .of("100"), held: .zero))
        }
    }

    @Test func workTheBodyFinishedAfterCancellationIsStillCommitted() async throws {
        try await withServer { server, admin in
            let tribute = client(realTransport(server, key: admin.key))
            let (started, holding) = AsyncStream<String>.makeStream()
            let finish = Gate()
            let task = Task {
                try await tribute.withHold(workspaceId: "acme", actionType: "COMPLEX_LLM", costMultiplier: .of("2")) { hold in
                    holding.yield(hold.holdId ?? "")
                    // Work that does not stop when cancelled: it is done, so it is billed.
                    await finish.wait()
                    return .actions(.of("3"))
                }
            }
            var iterator = started.makeAsyncIterator()
            let holdId = try #require(await iterator.next())
            task.cancel()
            finish.open()
            let commit = try await task.value
            #expect(commit.status == .committed && commit.actionsCharged == .of("3") && commit.holdId == holdId)
            #expect(try await admin.balances("acme") == (balance: .of("99.7"), held: .zero))
        }
    }

    @Test func aHoldWhoseCallWasInterruptedByCancellationIsReleased() async throws {
        try await withServer { server, admin in
            // The hold call reaches the server, which makes the hold; the task is cancelled
            // before its answer arrives.
            let stalled = StallingTransport(realTransport(server, key: admin.key), stallingPath: "/v1/holds")
            let tribute = client(stalled)
            let task = Task {
                try await tribute.withHold(workspaceId: "acme", actionType: "COMPLEX_LLM", costMultiplier: .of("2")) { _ in .everythingHeld }
            }
            await stalled.applied.wait()
            #expect(try await admin.balances("acme").held == .of("1"))
            task.cancel()
            let result = await task.result
            #expect(throws: CancellationError.self) { try result.get() }
            let holds = try await admin.holds("acme")
            #expect(holds.count == 1 && holds.first?["status"]?.stringValue == "released")
            #expect(try await admin.balances("acme") == (balance: .of("100"), held: .zero))
        }
    }
}

/// Forwards every attempt; the first one to `stallingPath` is applied by the server, then
/// its answer waits until the task is cancelled.
final class StallingTransport: Transport, @unchecked Sendable {
    let inner: any Transport
    let stallingPath: String
    let applied = Gate()
    private let lock = Lock()
    // Guarded by `lock`.
    private var stalled = false

    init(_ inner: any Transport, stallingPath: String) {
        self.inner = inner
        self.stallingPath = stallingPath
    }

    func send(_ request: WireRequest, timeoutMillis: Int64) async throws -> WireResponse {
        let response = try await inner.send(request, timeoutMillis: timeoutMillis)
        let stall = lock.withLock {
            guard request.path == stallingPath, !stalled else { return false }
            stalled = true
            return true
        }
        guard stall else { return response }
        applied.open()
        try await Task.sleep(for: .seconds(120))
        return response
    }
}
