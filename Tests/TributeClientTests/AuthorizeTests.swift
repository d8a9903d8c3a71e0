import Foundation
import Testing
import TributeCore
@testable import TributeClient

/// authorize-and-debit and the reads, against the real `tribute serve`.
@Suite(.serialized, .timeLimit(.minutes(3))) struct AuthorizeTests {
    @Test func anApprovedCallDebitsTheExactCostAndADenialIsAReturnedDecisionWithItsReason() async throws {
        try await withServer { server, admin in
            try await admin.setBudget(workspace: "acme", scope: "run:r1", limit: "10")
            let tribute = client(realTransport(server, key: admin.key))

            // COMPLEX_LLM costs 5 actions; × 1.5 = 7.5 actions at 0.1 credit = 0.75 credits.
            let approved = try await tribute.authorizeAndDebit(workspaceId: "acme", actionType: "COMPLEX_LLM", costMultiplier: .of("1.5"),
                                                               userId: "ada", runId: "r1", context: ["workflowId": .string("w-7")])
            #expect(approved.success && approved.reason == .approved && approved.recorded && !approved.replayed)
            #expect(approved.actionsCharged == .of("7.5"))
            #expect(approved.debitAmount == .of("0.75"))
            #expect(approved.remainingBalance == .of("99.25"))
            #expect(approved.transactionId != nil && approved.decisionId != nil)

            // 7.5 + 7.5 passes the run's budget of 10: denied, returned, nothing debited.
            let denied = try await tribute.authorizeAndDebit(workspaceId: "acme", actionType: "COMPLEX_LLM", costMultiplier: .of("1.5"), runId: "r1")
            #expect(!denied.success && denied.reason == .budgetExceeded)
            #expect(denied.transactionId == nil && denied.decisionId != nil && denied.debitAmount == .zero)
            #expect(try await admin.balances("acme").balance == .of("99.25"))

            let workspace = try await tribute.workspace(id: "acme")
            #expect(workspace.id == "acme" && workspace.planId == "prepaid" && workspace.status == .active)
            #expect(workspace.remainingBalance == .of("99.25") && workspace.heldAmount == .zero)

            let deniedPage = try await tribute.decisions(workspaceId: "acme", outcome: .denied)
            #expect(deniedPage.items.map(\.reason) == [.budgetExceeded])
            let all = try await tribute.decisions(workspaceId: "acme", limit: 1)
            #expect(all.items.count == 1 && all.nextCursor != nil)
            let rest = try await tribute.decisions(workspaceId: "acme", limit: 10, cursor: all.nextCursor)
            let first = try #require(rest.items.first)
            #expect(first.kind == .call && first.success && first.userId == "ada" && first.runId == "r1")
            #expect(first.context?["workflowId"] == .string("w-7") && first.actionsCharged == .of("7.5"))

            let usage = try await tribute.usage(workspaceId: "acme", days: 7)
            #expect(usage.totalActions == .of("7.5") && usage.totalCreditsSpent == .of("0.75"))
            #expect(usage.byActionType["COMPLEX_LLM"]?.count == 1)
            #expect(usage.topUsers.first?.userId == "ada")
        }
    }

    @Test func aLostAnswerIsRetriedUnderTheSameKeyAndReplayedWithoutASecondDebit() async throws {
        try await withServer { server, admin in
            // The server applies the first attempt; its answer is lost in transit.
            let transport = RecordingTransport(realTransport(server, key: admin.key), losingFirstAnswers: 1)
            let tribute = client(transport)
            let decision = try await tribute.authorizeAndDebit(workspaceId: "acme", actionType: "SIMPLE_LLM")
            #expect(decision.success && decision.replayed)

            let attempts = transport.seen
            #expect(attempts.count == 2)
            let keys = Set(attempts.compactMap(\.request.idempotencyKey))
            #expect(keys.count == 1, "every attempt of one call carries one key")
            #expect(attempts.map(\.request.body) == [attempts[0].request.body, attempts[0].request.body])
            #expect(try await admin.transactionCount("acme", kind: "debit") == 1)
            #expect(try await admin.balances("acme").balance == .of("99.9"))

            // A new logical call gets a new key: a second debit.
            _ = try await tribute.authorizeAndDebit(workspaceId: "acme", actionType: "SIMPLE_LLM")
            #expect(Set(transport.seen.compactMap(\.request.idempotencyKey)).count == 2)
            #expect(try await admin.transactionCount("acme", kind: "debit") == 2)
        }
    }

    @Test func aCallersOwnIdempotencyKeyReplaysAcrossClientsAndARepeatWithAnotherBodyIsRefused() async throws {
        try await withServer { server, admin in
            let first = client(realTransport(server, key: admin.key))
            let second = client(realTransport(server, key: admin.key))
            let original = try await first.authorizeAndDebit(workspaceId: "acme", actionType: "TOOL_USE", idempotencyKey: "run-9-step-1")
            let repeated = try await second.authorizeAndDebit(workspaceId: "acme", actionType: "TOOL_USE", idempotencyKey: "run-9-step-1")
            #expect(!original.replayed && repeated.replayed && repeated.transactionId == original.transactionId)
            let reused = await clientError {
                _ = try await second.authorizeAndDebit(workspaceId: "acme", actionType: "SIMPLE_LLM", idempotencyKey: "run-9-step-1")
            }
            #expect(reused?.serverCode == .idempotencyKeyReused)
            #expect(try await admin.transactionCount("acme", kind: "debit") == 1)
        }
    }
}
