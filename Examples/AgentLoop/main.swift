// An agent loop on TributeClient: each step holds one LLM call at its most expensive (the
// prompt's tokens plus `max_tokens` of output), runs it, and commits the model's own `usage`
// object. It stops on the first denial — typically BUDGET_EXCEEDED, when the operator capped
// the run with a `run:` budget.
//
//   TRIBUTE_URL=http://127.0.0.1:8080 TRIBUTE_KEY=trb_... swift run agent-loop WORKSPACE [RUN_ID]
//
// The action (TRIBUTE_ACTION, default LLM_TOKENS) must be token-priced: an admin sets it with
// `PUT /v1/action-costs/LLM_TOKENS {"tokenRates": {...}}` (docs/pricing.md).
//
// Exit status: 0 when the loop stopped on a denial or after TRIBUTE_MAX_STEPS steps
// (default 50), 1 on any other failure, 2 on bad arguments.

import Foundation
import TributeClient
import TributeCore

/// A stand-in for the model: the OpenAI-style `usage` object step `step` answers with, at
/// most `maxTokens` of output, with part of the prompt read from the provider's cache.
func simulatedCall(step: Int, promptTokens: Int64, maxTokens: Int64) async throws -> JSON {
    try await Task.sleep(for: .milliseconds(20))
    let completion: [Int64] = [1_200, 3_100, 640, 2_048, 4_096, 900, 1_750]
    let cached: Int64 = step == 0 ? 0 : 1_024
    return .object([
        "prompt_tokens": .int(promptTokens), "completion_tokens": .int(min(completion[step % completion.count], maxTokens)),
        "prompt_tokens_details": .object(["cached_tokens": .int(cached)]),
    ])
}

/// The model answered a `usage` object that is not OpenAI's shape.
struct UnreadableUsage: Error {}

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("agent-loop: \(message)\n".utf8))
    exit(status)
}

let environment = ProcessInfo.processInfo.environment
let arguments = CommandLine.arguments.dropFirst()
guard let apiKey = environment["TRIBUTE_KEY"], !apiKey.isEmpty else { fail("set TRIBUTE_KEY to a service or admin key", status: 2) }
guard let workspaceId = arguments.first ?? environment["TRIBUTE_WORKSPACE"] else {
    fail("usage: agent-loop WORKSPACE [RUN_ID] (or TRIBUTE_WORKSPACE, TRIBUTE_RUN)", status: 2)
}
let runId = arguments.dropFirst().first ?? environment["TRIBUTE_RUN"] ?? "run-\(Int(Date().timeIntervalSince1970))"
let baseURL = environment["TRIBUTE_URL"] ?? "http://127.0.0.1:8080"
guard let maxSteps = Int(environment["TRIBUTE_MAX_STEPS"] ?? "50"), (1...10_000).contains(maxSteps) else {
    fail("TRIBUTE_MAX_STEPS must be 1 to 10000", status: 2)
}
let actionType = environment["TRIBUTE_ACTION"] ?? "LLM_TOKENS"
let maxTokens: Int64 = 4_096
let promptTokens: Int64 = 2_000

let client: TributeClient
do {
    client = try TributeClient(baseURL: baseURL, apiKey: apiKey)
} catch {
    fail("\(error)", status: 2)
}

print("agent-loop: workspace \(workspaceId), run \(runId), \(baseURL), at most \(maxSteps) steps")
var steps = 0
var actionsCharged = Amount.zero
var creditsCharged = Amount.zero
var stopReason = "reached TRIBUTE_MAX_STEPS"
var status: Int32 = 0
loop: for step in 0..<maxSteps {
    var used = TokenUsage(inputTokens: 0)
    do {
        // Held at the most the call can cost: the whole prompt uncached, and `max_tokens`.
        let commit = try await client.withHold(workspaceId: workspaceId, actionType: actionType,
                                               usage: TokenUsage(inputTokens: promptTokens, outputTokens: maxTokens),
                                               ttlSeconds: 120, agentId: "agent-loop", runId: runId) { hold in
            print("step \(step + 1): held \(hold.actionsCharged) actions (\(hold.debitAmount) credits) in \(hold.holdId ?? "a local hold")")
            let usage = try await simulatedCall(step: step, promptTokens: promptTokens, maxTokens: maxTokens)
            guard let actual = TokenUsage(openAI: usage) else { throw UnreadableUsage() }
            used = actual
            return .usage(actual)
        }
        steps += 1
        actionsCharged = actionsCharged.adding(commit.actionsCharged) ?? actionsCharged
        creditsCharged = creditsCharged.adding(commit.debitAmount) ?? creditsCharged
        let tokens = used.map { "\($0[.inputTokens]) input, \($0[.cachedInputTokens]) cached, \($0[.outputTokens]) output" } ?? "no"
        print("step \(step + 1): used \(tokens) tokens, charged \(commit.actionsCharged) actions (\(commit.debitAmount) credits); "
              + "\(commit.remainingBalance) credits and \(commit.remainingAllowance) allowance left")
    } catch TributeClientError.denied(let reason, let decision) {
        print("step \(step + 1): denied \(reason): \(decision.message); stopping")
        stopReason = "denied \(reason)"
        break loop
    } catch {
        FileHandle.standardError.write(Data("agent-loop: step \(step + 1) failed: \(error)\n".utf8))
        stopReason = "failed"
        status = 1
        break loop
    }
}
print("summary: \(steps) calls, \(actionsCharged) actions, \(creditsCharged) credits charged; \(stopReason)")
try? await client.shutdown()
exit(status)
