import Foundation
import Testing
import TributeCore

/// The example agent (`Examples/AgentLoop`) against a fresh server: it stops on its run's
/// budget, cleanly.
@Suite(.serialized, .timeLimit(.minutes(3))) struct AgentLoopExampleTests {
    @Test func theExampleAgentRunsUntilItsRunBudgetIsExceededAndExitsZero() async throws {
        try await withServer { server, admin in
            try await admin.setBudget(workspace: "acme", scope: "run:run-1", limit: "60")
            let key = try await admin.serviceKey(workspace: "acme")
            let run = try await Executables.run(try Executables.agentLoop(), ["acme", "run-1"],
                                                environment: ["TRIBUTE_URL": server.baseURL, "TRIBUTE_KEY": key], seconds: 60)
            #expect(run.status == 0, "\(run.output)")
            #expect(run.output.contains("denied BUDGET_EXCEEDED"), "\(run.output)")
            #expect(run.output.contains("summary: 5 calls, 55.42 actions, 5.542 credits charged; denied BUDGET_EXCEEDED"), "\(run.output)")
            #expect(try await admin.balances("acme") == (balance: .of("94.458"), held: .zero))
        }
    }

    @Test func theExampleAgentExplainsAMissingKeyWithExitTwo() async throws {
        let run = try await Executables.run(try Executables.agentLoop(), ["acme"], environment: ["TRIBUTE_KEY": ""], seconds: 30)
        #expect(run.status == 2 && run.output.contains("TRIBUTE_KEY"))
    }
}
