import Foundation
import Testing
import TributeCore
@testable import TributeClient

/// Retries against the real server: stopped and restarted, rate limited, down for good.
@Suite(.serialized, .timeLimit(.minutes(3))) struct RetryTests {
    @Test func aCallMadeWhileTheServerIsDownSucceedsOnceItIsBackOnTheSamePortAndDebitsOnce() async throws {
        let sandbox = try await Sandbox.make()
        let first = try await sandbox.serve()
        let port = first.port
        let admin = Admin(baseURL: first.baseURL, key: sandbox.adminKey)
        try await admin.createWorkspace("acme", credits: "100")
        await first.stop()

        let transport = RecordingTransport(realTransport(first, key: sandbox.adminKey))
        let patient = TributeClient.RetryPolicy(maxAttempts: 100, baseDelayMillis: 50, maxDelayMillis: 1_000, totalBudgetMillis: 150_000)
        let tribute = client(transport, retry: patient)
        async let restarted: ServerProcess = {
            try await Task.sleep(for: .seconds(1))
            return try await sandbox.serve(port: port)
        }()
        let decision: Decision
        do {
            decision = try await tribute.authorizeAndDebit(workspaceId: "acme", actionType: "COMPLEX_LLM")
        } catch {
            await (try? restarted)?.stop()
            throw error
        }
        let second = try await restarted
        defer { sandbox.remove() }
        #expect(decision.success && decision.debitAmount == .of("0.5"))
        #expect(transport.seen.count > 1, "the first attempts found no server")
        #expect(Set(transport.seen.compactMap(\.request.idempotencyKey)).count == 1)
        let debits = try await admin.transactionCount("acme", kind: "debit")
        let balance = try await admin.balances("acme").balance
        await second.stop()
        #expect(debits == 1 && balance == .of("99.5"))
    }

    @Test func aRateLimitedCallWaitsTheRetryAfterSecondsThenSucceeds() async throws {
        try await withServer { server, admin in
            // One call a second, no burst beyond it.
            let key = try await admin.serviceKey(workspace: "acme", perSecond: 1, burst: 1)
            let transport = RecordingTransport(realTransport(server, key: key))
            let policy = TributeClient.RetryPolicy(maxAttempts: 10, baseDelayMillis: 50, maxDelayMillis: 5_000, totalBudgetMillis: 120_000)
            let tribute = client(transport, retry: policy)
            // Three calls at once on a key of one call a second: at least one meets a 429,
            // however slow the machine.
            try await withThrowingTaskGroup(of: Decision.self) { group in
                for _ in 0..<3 { group.addTask { try await tribute.authorizeAndDebit(workspaceId: "acme", actionType: "SIMPLE_LLM") } }
                for try await decision in group { #expect(decision.success) }
            }
            let attempts = transport.seen
            #expect(attempts.contains { $0.status == 429 }, "calls at once on a 1/s key meet a 429")
            // Every 429 said `Retry-After: 1`, and the call's next attempt waited that long.
            for (index, attempt) in attempts.enumerated() where attempt.status == 429 {
                let next = try #require(attempts[(index + 1)...].first { $0.request.idempotencyKey == attempt.request.idempotencyKey }, "a 429 is retried")
                let answeredAt = try #require(attempt.answeredAt)
                #expect(next.sentAt - answeredAt >= .milliseconds(990))
                #expect(next.request.idempotencyKey == attempt.request.idempotencyKey)
            }
            #expect(try await admin.transactionCount("acme", kind: "debit") == attempts.filter { $0.status == 200 }.count)

        }
    }

    @Test func aServerDownForGoodFailsClosedWithUnavailableWithinTheBudget() async throws {
        let sandbox = try await Sandbox.make()
        let gone = try await sandbox.serve()
        await gone.stop()
        defer { sandbox.remove() }

        let transport = RecordingTransport(realTransport(gone, key: sandbox.adminKey))
        let policy = TributeClient.RetryPolicy(maxAttempts: 4, baseDelayMillis: 50, maxDelayMillis: 200, totalBudgetMillis: 120_000)
        let started = ContinuousClock.now
        let error = await clientError { _ = try await client(transport, retry: policy).authorizeAndDebit(workspaceId: "acme", actionType: "SIMPLE_LLM") }
        guard case .unavailable(let attempts, _)? = error else {
            Issue.record("expected unavailable, got \(String(describing: error))")
            return
        }
        #expect(attempts == 4 && transport.seen.count == 4)
        #expect(ContinuousClock.now - started < .seconds(120))

        // Bounded by time too: many attempts allowed, but a budget of 1.5 s (a loaded machine
        // only makes fewer of them).
        let timeBound = TributeClient.RetryPolicy(maxAttempts: 100, baseDelayMillis: 300, maxDelayMillis: 300, totalBudgetMillis: 1_500, jitter: .none)
        let counted = RecordingTransport(realTransport(gone, key: sandbox.adminKey))
        let timeError = await clientError { _ = try await client(counted, retry: timeBound).hold(workspaceId: "acme", actionType: "SIMPLE_LLM") }
        guard case .unavailable(let timeAttempts, _)? = timeError else {
            Issue.record("expected unavailable, got \(String(describing: timeError))")
            return
        }
        #expect(timeAttempts >= 1 && timeAttempts <= 6 && counted.seen.count == timeAttempts)
    }
}
