import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// Token-priced actions over HTTP (SPEC §3.6), on every backend: the registry takes rates,
/// calls and holds take `usage`, a commit takes `actualUsage`, the decision shows each
/// kind's tokens, rate and amount, and every wrong combination is a 422 that writes nothing.
@Suite struct TokenPricingAPITests {
    static let debit = "/v1/agent-actions/authorize-and-debit"
    /// 0.01 actions a call; 2.5, 0.25 and 10 actions per million input, cached and output tokens.
    static let rates = #"{"tokenRates":{"inputTokens":2.5,"cachedInputTokens":0.25,"outputTokens":10},"perCall":0.01}"#

    @Test(arguments: Backend.allCases)
    func aTokenPricedActionIsSetCalledHeldCommittedAndExplained(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let admin = fixture.adminKey
        try await fixture.test { client in
            let put = try await client.send(.put, "/v1/action-costs/LLM", key: admin, body: Self.rates)
            #expect(put.status == .ok, "\(put.text)")
            let cost = put.json?.objectValue
            #expect(cost?["baseCost"] == nil && cost?["perCall"] == .number("0.01") && cost?["version"] == .number("1"))
            #expect(cost?["tokenRates"]?.objectValue?["cachedInputTokens"] == .number("0.25"))
            #expect(cost?["tokenRates"]?.objectValue?["reasoningTokens"] == .number("0"))

            let call = try await client.send(.post, Self.debit, key: admin,
                                             body: #"{"workspaceId":"w","actionType":"LLM","usage":{"inputTokens":2000,"cachedInputTokens":8000,"outputTokens":501}}"#)
            #expect(call.status == .ok && call.json?.objectValue?["actionsCharged"] == .number("0.02201"), "\(call.text)")
            let decisionId = try #require(call.json?.objectValue?["decisionId"]?.stringValue)
            let explained = try await client.send(.get, "/v1/workspaces/w/decisions/\(decisionId)", key: admin)
            let tokens = try #require(explained.json?.objectValue?["tokens"]?.objectValue, "\(explained.text)")
            #expect(tokens["perCall"] == .number("0.01"))
            let cached = tokens["lines"]?.arrayValue?.first { $0.objectValue?["kind"] == .string("cachedInputTokens") }?.objectValue
            #expect(cached?["tokens"] == .number("8000") && cached?["rate"] == .number("0.25") && cached?["amount"] == .number("0.002"))

            // Held at the prompt and `max_tokens`, committed at what the model used.
            let hold = try await client.send(.post, "/v1/holds", key: admin,
                                             body: #"{"workspaceId":"w","actionType":"LLM","usage":{"inputTokens":2000,"outputTokens":4096}}"#)
            #expect(hold.status == .ok && hold.json?.objectValue?["actionsCharged"] == .number("0.05596"), "\(hold.text)")
            let holdId = try #require(hold.json?.objectValue?["holdId"]?.stringValue)
            try await client.expectError(.post, "/v1/holds/\(holdId)/commit", key: admin, body: #"{"actualCostMultiplier":1}"#, status: 422, code: "invalid_usage")
            try await client.expectError(.post, "/v1/holds/\(holdId)/commit", key: admin, body: #"{"actualUsage":{"inputTokens":1},"actualActions":1}"#,
                                         status: 422, code: "invalid_value")
            try await client.expectError(.post, "/v1/holds/\(holdId)/commit", key: admin, body: #"{"actualUsage":{"outputTokens":5000}}"#,
                                         status: 422, code: "exceeds_hold")
            let commit = try await client.send(.post, "/v1/holds/\(holdId)/commit", key: admin,
                                               body: #"{"actualUsage":{"inputTokens":500,"cachedInputTokens":1500,"outputTokens":301}}"#)
            #expect(commit.status == .ok && commit.json?.objectValue?["actionsCharged"] == .number("0.014635"), "\(commit.text)")
        }
        #expect(try await fixture.store.verifyLedger().firstViolation == nil)
    }

    @Test(arguments: Backend.allCases)
    func aMultiplierOrNoUsageOnATokenPricedActionWritesNothing(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        _ = try await fixture.store.setActionCost(actionType: "LLM", baseCost: .zero, tokenRates: TokenRates(PerTokenKind(
            inputTokens: Amount(units: 1), cachedInputTokens: .zero, cacheWriteTokens: .zero, outputTokens: .zero, reasoningTokens: .zero)))
        let before = try await fixture.store.verifyLedger()
        let admin = fixture.adminKey
        try await fixture.test { client in
            for body in [
                #"{"workspaceId":"w","actionType":"LLM"}"#,
                #"{"workspaceId":"w","actionType":"LLM","costMultiplier":2}"#,
                #"{"workspaceId":"w","actionType":"LLM","costMultiplier":1,"usage":{"inputTokens":5}}"#,
            ] {
                try await client.expectError(.post, Self.debit, key: admin, body: body, status: 422, code: "invalid_usage")
                try await client.expectError(.post, "/v1/holds", key: admin, body: body, status: 422, code: "invalid_usage")
            }
        }
        let after = try await fixture.store.verifyLedger()
        #expect(after.decisions == before.decisions && after.transactions == before.transactions && after.firstViolation == nil)
    }
}
