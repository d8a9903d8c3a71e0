import Foundation
import Testing
import TributeCore
@testable import TributeClient

/// Holds through the client: hold, partial and final commits, release, extend, read.
@Suite(.serialized, .timeLimit(.minutes(3))) struct HoldTests {
    @Test func aHoldIsCommittedInPartsThenFinallyAndReleasedAndExtendedAndRead() async throws {
        try await withServer { server, admin in
            let tribute = client(realTransport(server, key: admin.key))

            // An hourly monitor: 2 actions an hour held for 4 hours (8 actions, 0.8 credits).
            let hold = try await tribute.hold(workspaceId: "acme", actionType: "SENTINEL_MONITORING_HOUR", costMultiplier: .of("4"),
                                              ttlSeconds: 600, agentId: "sentinel")
            let holdId = try #require(hold.holdId)
            #expect(hold.success && hold.actionsCharged == .of("8") && hold.debitAmount == .of("0.8"))
            #expect(hold.remainingBalance == .of("99.2"))
            let expiresAt = try #require(hold.expiresAt)
            #expect(expiresAt > Date().addingTimeInterval(500))

            let firstHour = try await tribute.commit(holdId: holdId, actualCostMultiplier: .one, final: false)
            #expect(firstHour.status == .open && firstHour.actionsCharged == .of("2") && firstHour.debitAmount == .of("0.2"))
            #expect(firstHour.remainingHeld == .of("6") && firstHour.remainingHeldAmount == .of("0.6"))

            let extended = try await tribute.extend(holdId: holdId, ttlSeconds: 3_600)
            #expect(extended.status == .open && extended.expiresAt > expiresAt)

            let read = try await tribute.hold(id: holdId)
            #expect(read.id == holdId && read.workspaceId == "acme" && read.agentId == "sentinel")
            #expect(read.heldActions == .of("6") && read.committedActions == .of("2") && read.committedAmount == .of("0.2"))

            // The last hour used 1.5 actions; the final commit gives back the rest.
            let last = try await tribute.commit(holdId: holdId, actualActions: .of("1.5"))
            #expect(last.status == .committed && last.remainingHeld == .zero && last.debitAmount == .of("0.15"))
            #expect(try await admin.balances("acme") == (balance: .of("99.65"), held: .zero))

            // A second hold, released: everything goes back.
            let second = try await tribute.hold(workspaceId: "acme", actionType: "COMPLEX_LLM", costMultiplier: .of("2"))
            #expect(try await admin.balances("acme").held == .of("1"))
            let released = try await tribute.release(holdId: try #require(second.holdId))
            #expect(released.status == .released && released.releaseDecisionId != nil && released.heldAmount == .zero)
            #expect(try await admin.balances("acme") == (balance: .of("99.65"), held: .zero))
        }
    }

    @Test func aDeniedHoldIsReturnedWithItsReasonAndHoldsNothing() async throws {
        try await withServer { server, admin in
            let tribute = client(realTransport(server, key: admin.key))
            // 1000 × 10 actions = 10,000 actions = 1,000 credits > 100.
            let hold = try await tribute.hold(workspaceId: "acme", actionType: "PROOF_VERIFICATION", costMultiplier: .of("1000"))
            #expect(!hold.success && hold.reason == .insufficientBalance && hold.holdId == nil && hold.expiresAt == nil)
            #expect(try await admin.balances("acme") == (balance: .of("100"), held: .zero))
        }
    }

    @Test func aLostCommitAnswerIsReplayedAndChargedOnce() async throws {
        try await withServer { server, admin in
            let setup = client(realTransport(server, key: admin.key))
            let hold = try await setup.hold(workspaceId: "acme", actionType: "COMPLEX_LLM", costMultiplier: .of("2"))
            let transport = RecordingTransport(realTransport(server, key: admin.key), losingFirstAnswers: 1)
            let commit = try await client(transport).commit(holdId: try #require(hold.holdId), actualCostMultiplier: .of("1.2"))
            #expect(commit.replayed && commit.actionsCharged == .of("6") && commit.status == .committed)
            #expect(Set(transport.seen.compactMap(\.request.idempotencyKey)).count == 1 && transport.seen.count == 2)
            #expect(try await admin.transactionCount("acme", kind: "hold_commit") == 1)
            #expect(try await admin.balances("acme") == (balance: .of("99.4"), held: .zero))
        }
    }
}
