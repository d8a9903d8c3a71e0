import Foundation
import Testing
import TributeCore

/// The example agent (`Examples/AgentLoop`) against a fresh server: it stops on its run's
/// budget, cleanly.
@Suite(.serialized, .timeLimit(.minutes(3))) struct AgentLoopExampleTests {
    @Test func theExampleAgentRunsUntilItsRunBudgetIsExceededAndExitsZero() async throws {
        try await withServer { server, admin in
            // Per million: 1,000 actions input, 100 cached, 4,000 output. Each step holds 2,000
            // prompt tokens and 4,096 of output: 2 + 16.384 = 18.384 actions. The steps use
            // 6.8, 13.4784, 3.6384, 9.2704 and 17.4624 actions (the model's usage: the prompt
            // cached from the second step on, 1,024 of it); the sixth hold would pass 60.
            try await admin.setTokenRates("LLM_TOKENS", #"{"inputTokens":1000,"cachedInputTokens":100,"outputTokens":4000}"#)
            try await admin.setBudget(workspace: "acme", scope: "run:run-1", limit: "60")
            let key = try await admin.serviceKey(workspace: "acme")
            let run = try await Executables.run(try Executables.agentLoop(), ["acme", "run-1"],
                                                environment: ["TRIBUTE_URL": server.baseURL, "TRIBUTE_KEY": key], seconds: 60)
            #expect(run.status == 0, "\(run.output)")
            #expect(run.output.contains("denied BUDGET_EXCEEDED"), "\(run.output)")
            #expect(run.output.contains("summary: 5 calls, 50.6496 actions, 5.06496 credits charged; denied BUDGET_EXCEEDED"), "\(run.output)")
            #expect(run.output.contains("step 2: used 976 input, 1024 cached, 3100 output tokens"), "\(run.output)")
            #expect(try await admin.balances("acme") == (balance: .of("94.93504"), held: .zero))
        }
    }

    @Test func theExampleAgentExplainsAMissingKeyWithExitTwo() async throws {
        let run = try await Executables.run(try Executables.agentLoop(), ["acme"], environment: ["TRIBUTE_KEY": ""], seconds: 30)
        #expect(run.status == 2 && run.output.contains("TRIBUTE_KEY"))
    }
}
