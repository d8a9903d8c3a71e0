import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// Grants with their terms (SPEC §3.9) on every backend: the draw order follows priority,
/// a priority changed later moves only later draws, and a reversal gives back the slices
/// its charge drew.
@Suite struct GrantTermsConformanceTests {
    static let tenth = AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM")

    static func drawn(_ store: any TributeStore, _ outcome: AuthorizeOutcome) async throws -> [GrantDraw] {
        guard case .string(let decisionId)? = field(outcome.body, "decisionId") else { return [] }
        return try await store.decision(workspaceId: "w", id: decisionId).explanation?.grants ?? []
    }

    @Test(arguments: Backend.allCases)
    func priorityOrdersTheDrawsAndAReversalGivesBackTheOriginalSlices(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        try await store.makeWorkspace("w")
        let general = try await store.grantCredits(workspaceId: "w", grant: CreditGrantDraft(amount: Amount(units: 5), expiresAt: nil, note: nil))
        let first = try await store.grantCredits(workspaceId: "w", grant: CreditGrantDraft(
            amount: Amount(units: 5), expiresAt: nil, note: "spent first", category: .refund, priority: 10, costBasisCents: 0,
            effectiveAt: clock.nowMillis() - 86_400_000))
        #expect(first.terms.category == .refund && first.terms.priority == 10 && first.terms.effectiveAtMillis == clock.nowMillis() - 86_400_000)
        let charge = try await store.authorize(Self.tenth, idempotency: nil)
        #expect(try await Self.drawn(store, charge) == [GrantDraw(grantId: first.id, amount: Amount(micros: 100_000))])

        // The general grant moves ahead: later draws come from it; the first charge keeps its slice.
        let moved = try await store.setGrantPriority(workspaceId: "w", grantId: general.id, priority: 0)
        #expect(moved.terms.priority == 0 && moved.remaining == Amount(units: 5))
        let later = try await store.authorize(Self.tenth, idempotency: nil)
        #expect(try await Self.drawn(store, later) == [GrantDraw(grantId: general.id, amount: Amount(micros: 100_000))])
        guard case .string(let transactionId)? = field(charge.body, "transactionId") else { Issue.record("no transaction"); return }
        _ = try await store.reverseTransaction(id: transactionId, reason: "test")
        let grants = try await store.grants(workspaceId: "w", limit: 10, cursor: nil).items
        #expect(grants.first { $0.id == first.id }?.remaining == Amount(units: 5), "the reversal gave back to the grant it drew from")
        #expect(grants.first { $0.id == general.id }?.remaining == Amount(micros: 4_900_000))
        _ = try await store.expectLedgerHolds()

        await #expect(throws: TributeError.grantNotFound("grant_nope")) { try await store.setGrantPriority(workspaceId: "w", grantId: "grant_nope", priority: 1) }
        await #expect(throws: TributeError.invalidValue("priority must be from 0 to 100")) {
            try await store.setGrantPriority(workspaceId: "w", grantId: general.id, priority: 101)
        }
        try await store.makeWorkspace("x")
        await #expect(throws: TributeError.grantNotFound(general.id)) { try await store.setGrantPriority(workspaceId: "x", grantId: general.id, priority: 1) }
        await #expect(throws: TributeError.workspaceNotFound("nope")) { try await store.grants(workspaceId: "nope", limit: 10, cursor: nil) }
        await #expect(throws: TributeError.invalidValue("effectiveAt may not be in the future: a grant's credits are spendable when it is made")) {
            try await store.grantCredits(workspaceId: "w", grant: CreditGrantDraft(amount: .one, expiresAt: nil, note: nil, effectiveAt: clock.nowMillis() + 1))
        }
    }

    /// Grants are listed newest first, a page at a time; a purchase's grant is `paid` at its
    /// price, an admin's `promotional` at no cost.
    @Test(arguments: Backend.allCases)
    func grantsAreListedWithTheirCategoryAndCost(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        try await store.makeWorkspace("w")
        let given = try await store.grantCredits(workspaceId: "w", grant: CreditGrantDraft(amount: Amount(units: 2), expiresAt: nil, note: "welcome"))
        clock.advance(seconds: 1)
        let purchase = try await PaymentConformanceTests.pending(store, intent: "pi_terms_\(backend)")
        _ = try await store.applyPayment(PaymentConformanceTests.paid(purchase))
        let firstPage = try await store.grants(workspaceId: "w", limit: 1, cursor: nil)
        let bought = try #require(firstPage.items.first)
        #expect(bought.terms.category == .paid && bought.terms.costBasisCents == 1_000 && bought.amount == Amount(units: 100) && bought.transaction == nil)
        let next = try await store.grants(workspaceId: "w", limit: 1, cursor: firstPage.nextCursor)
        #expect(next.items.map(\.id) == [given.id] && next.nextCursor == nil)
        #expect(next.items.first?.terms == GrantTerms(category: .promotional, priority: 50, costBasisCents: 0, effectiveAtMillis: given.createdAtMillis))
        // A cursor is a grant of this workspace, or refused.
        try await store.makeWorkspace("x")
        await #expect(throws: TributeError.invalidValue("cursor is not one this service gave")) {
            try await store.grants(workspaceId: "x", limit: 1, cursor: firstPage.nextCursor)
        }
        // Equal priority and expiry: the cheaper credits (free, given) go first.
        let charge = try await store.authorize(Self.tenth, idempotency: nil)
        #expect(try await Self.drawn(store, charge).map(\.grantId) == [given.id])
    }
}
