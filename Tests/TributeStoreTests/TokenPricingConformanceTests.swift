import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// SPEC §3.6 on every backend: a token-priced action charges exactly what its rates say,
/// records its tokens with the decision, and a hold prices its commit at the rates it was
/// held at.
@Suite struct TokenPricingConformanceTests {
    /// 0.01 actions a call; 2.5, 0.25 and 10 actions per million input, cached and output tokens.
    static let rates = TokenRates(PerTokenKind(
        inputTokens: Amount(micros: 2_500_000), cachedInputTokens: Amount(micros: 250_000), cacheWriteTokens: .zero,
        outputTokens: Amount(units: 10), reasoningTokens: .zero))

    static func setUp(_ backend: Backend) async throws -> any TributeStore {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 10))
        _ = try await store.setActionCost(actionType: "LLM", baseCost: Amount(micros: 10_000), tokenRates: rates)
        return store
    }

    static func usage(input: Int64 = 0, cached: Int64 = 0, output: Int64 = 0) throws -> TokenUsage {
        try #require(TokenUsage(inputTokens: input, cachedInputTokens: cached, outputTokens: output))
    }

    @Test(arguments: Backend.allCases)
    func aTokenPricedCallChargesItsExactCostAndRecordsItsTokens(backend: Backend) async throws {
        let store = try await Self.setUp(backend)
        let request = AuthorizeRequest(workspaceId: "w", actionType: "LLM", usage: try Self.usage(input: 2_000, cached: 8_000, output: 501))
        let outcome = try await store.authorize(request, idempotency: nil)
        // 0.01 + (2,000 × 2.5 + 8,000 × 0.25 + 501 × 10) / 10⁶ = 0.01 + 0.01201 actions; at 0.1 credit an action.
        #expect(outcome.approved && amountField(outcome.body, "actionsCharged") == Amount(micros: 22_010))
        #expect(amountField(outcome.body, "debitAmount") == Amount(micros: 2_201))
        let decisionId = try #require(field(outcome.body, "decisionId")?.stringValue)
        let explained = try await store.decision(workspaceId: "w", id: decisionId)
        let tokens = try #require(explained.explanation?.tokens)
        #expect(tokens.usage == request.usage && tokens.rates == Self.rates && tokens.perCall == Amount(micros: 10_000))
        #expect(tokens.amount(of: .cachedInputTokens) == Amount(micros: 2_000))
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func usageAndMultipliersOnTheWrongKindOfActionWriteNothing(backend: Backend) async throws {
        let store = try await Self.setUp(backend)
        let usage = try Self.usage(input: 10)
        for request in [
            AuthorizeRequest(workspaceId: "w", actionType: "LLM"),
            AuthorizeRequest(workspaceId: "w", actionType: "LLM", costMultiplier: .one, usage: usage),
            AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", usage: usage),
        ] {
            await #expect(throws: TributeError.self) { try await store.authorize(request, idempotency: nil) }
            await #expect(throws: TributeError.self) { try await store.hold(HoldRequest(request), idempotency: nil) }
        }
        #expect(try await store.decisions(workspaceId: "w", limit: 10, cursor: nil, approved: nil).items.isEmpty)
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(units: 10))
    }

    @Test(arguments: Backend.allCases)
    func aHoldCommitsItsActualTokensAtTheRatesItWasHeldAt(backend: Backend) async throws {
        let store = try await Self.setUp(backend)
        // Held at 2,000 prompt tokens and 4,096 of output: 0.01 + 0.005 + 0.04096 actions.
        let held = try await store.hold(HoldRequest(AuthorizeRequest(workspaceId: "w", actionType: "LLM", usage: try Self.usage(input: 2_000, output: 4_096))),
                                        idempotency: nil)
        #expect(held.approved && amountField(held.body, "actionsCharged") == Amount(micros: 55_960))
        let holdId = try #require(field(held.body, "holdId")?.stringValue)
        // A new price after the hold does not change what its commit costs.
        _ = try await store.setActionCost(actionType: "LLM", baseCost: Amount(units: 1), tokenRates: Self.rates)
        let everyone: @Sendable (String) -> Bool = { _ in true }
        for wrong in [HoldActual.costMultiplier(.one)] {
            await #expect(throws: TributeError.invalidUsage("LLM is priced per token: give actualUsage or actualActions")) {
                try await store.commitHold(HoldCommit(holdId: holdId, actual: wrong), canAccess: everyone, idempotency: nil)
            }
        }
        await #expect(throws: TributeError.self) {
            try await store.commitHold(HoldCommit(holdId: holdId, actual: .usage(try Self.usage(output: 5_000))), canAccess: everyone, idempotency: nil)
        }
        // Used: 500 fresh and 1,500 cached prompt tokens, 301 of output.
        let committed = try await store.commitHold(HoldCommit(holdId: holdId, actual: .usage(try Self.usage(input: 500, cached: 1_500, output: 301))),
                                                   canAccess: everyone, idempotency: nil)
        // 0.01 + 0.00125 + 0.000375 + 0.00301 = 0.014635 actions.
        #expect(committed.approved && amountField(committed.body, "actionsCharged") == Amount(micros: 14_635))
        #expect(try await store.workspace(id: "w").heldAmount == .zero)
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(units: 10) - Amount(micros: 1_464))
        let commitId = try #require(field(committed.body, "decisionId")?.stringValue)
        #expect(try await store.decision(workspaceId: "w", id: commitId).explanation?.tokens?.usage == (try Self.usage(input: 500, cached: 1_500, output: 301)))
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func aHoldCommittedInPartsChargesItsPartPerCallOnce(backend: Backend) async throws {
        let store = try await Self.setUp(backend)
        let held = try await store.hold(HoldRequest(AuthorizeRequest(workspaceId: "w", actionType: "LLM", usage: try Self.usage(output: 4_000))), idempotency: nil)
        #expect(amountField(held.body, "actionsCharged") == Amount(micros: 50_000))
        let holdId = try #require(field(held.body, "holdId")?.stringValue)
        let everyone: @Sendable (String) -> Bool = { _ in true }
        // 0.01 + 1,000 × 10 / 10⁶, then 3,000 × 10 / 10⁶ alone: 0.05 in all, as held.
        let first = try await store.commitHold(HoldCommit(holdId: holdId, actual: .usage(try Self.usage(output: 1_000)), final: false), canAccess: everyone, idempotency: nil)
        #expect(amountField(first.body, "actionsCharged") == Amount(micros: 20_000))
        let second = try await store.commitHold(HoldCommit(holdId: holdId, actual: .usage(try Self.usage(output: 3_000))), canAccess: everyone, idempotency: nil)
        #expect(second.approved && amountField(second.body, "actionsCharged") == Amount(micros: 30_000), "\(second.body)")
        let secondId = try #require(field(second.body, "decisionId")?.stringValue)
        #expect(try await store.decision(workspaceId: "w", id: secondId).explanation?.tokens?.perCall == .zero)
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func aHoldPricedPerCallRefusesTokens(backend: Backend) async throws {
        let store = try await Self.setUp(backend)
        let held = try await store.hold(HoldRequest(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM")), idempotency: nil)
        let holdId = try #require(field(held.body, "holdId")?.stringValue)
        await #expect(throws: TributeError.self) {
            try await store.commitHold(HoldCommit(holdId: holdId, actual: .usage(try Self.usage(input: 1))), canAccess: { _ in true }, idempotency: nil)
        }
        #expect(try await store.hold(id: holdId, canAccess: { _ in true }).status == .open)
    }

    @Test(arguments: Backend.allCases)
    func theRegistryKeepsEveryVersionsRates(backend: Backend) async throws {
        let store = try await Self.setUp(backend)
        _ = try await store.setActionCost(actionType: "LLM", baseCost: Amount(units: 2))
        let history = try await store.actionCostHistory(actionType: "LLM")
        #expect(history.map(\.version) == [2, 1])
        #expect(history.map(\.tokenRates) == [nil, Self.rates])
        #expect(try await store.actionCosts().first { $0.actionType == "LLM" }?.tokenRates == nil)
    }
}
