import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// Purchases and Stripe's payment events, on every backend.
@Suite struct PaymentConformanceTests {
    /// A pending purchase with its PaymentIntent recorded.
    static func pending(_ store: any TributeStore, workspace: String = "w", package: String = "starter", intent: String) async throws -> Purchase {
        let purchase = try await store.createPurchase(workspaceId: workspace, packageId: package)
        return try await store.attachPaymentIntent(purchaseId: purchase.id, paymentIntentId: intent)
    }

    static func paid(_ purchase: Purchase) -> PaymentEvent {
        .succeeded(paymentIntentId: purchase.paymentIntentId!, purchaseId: purchase.id, amountReceivedCents: purchase.amountCents, currency: purchase.currency)
    }

    @Test(arguments: Backend.allCases)
    func theDefaultPackagesAreSeededAndEditable(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        let packages = try await store.creditPackages()
        #expect(packages.map(\.id) == ["starter", "professional", "business", "enterprise"])
        #expect(packages[1].credits == Amount(units: 1_000) && packages[1].priceCents == 8_000)
        _ = try await store.putCreditPackage(CreditPackage(id: "starter", name: "Starter", credits: Amount(units: 120), priceCents: 1_000, active: false))
        try await store.makeWorkspace("w")
        await #expect(throws: TributeError.packageNotFound("starter")) { try await store.createPurchase(workspaceId: "w", packageId: "starter") }
        await #expect(throws: TributeError.workspaceNotFound("nope")) { try await store.createPurchase(workspaceId: "nope", packageId: "business") }
    }

    /// Twenty deliveries of one `payment_intent.succeeded` at once credit the wallet once.
    @Test(arguments: Backend.allCases)
    func aPaymentIsCreditedOnceHoweverOftenItArrives(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", plan: "prepaid")
        let purchase = try await Self.pending(store, intent: "pi_once_\(backend)")
        let outcomes = try await withThrowingTaskGroup(of: PaymentOutcome.self) { group in
            for _ in 0..<20 { group.addTask { try await store.applyPayment(Self.paid(purchase)) } }
            return try await group.reduce(into: [PaymentOutcome]()) { $0.append($1) }
        }
        #expect(outcomes.filter { if case .credited = $0 { true } else { false } }.count == 1)
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(units: 100))
        #expect(try await store.purchase(workspaceId: "w", id: purchase.id).status == .succeeded)
        let events = try await store.events(workspaceId: "w", afterSeq: 0, limit: 10)
        #expect(events.map(\.type) == [.creditsPurchased])
        #expect(events[0].data["remainingBalance"] == .number("100"))
        _ = try await store.expectLedgerHolds()
    }

    /// A refund takes back its share of what is unspent; what was spent stays spent and is
    /// recorded as unrecovered; the wallet never goes below zero.
    @Test(arguments: Backend.allCases)
    func aRefundTakesBackOnlyUnspentCredits(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", plan: "prepaid")
        let purchase = try await Self.pending(store, intent: "pi_refund_\(backend)")
        _ = try await store.applyPayment(Self.paid(purchase))
        // 90 of the 100 credits are spent (900 actions at 0.1).
        for _ in 0..<900 {
            _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM"), idempotency: nil)
        }
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(units: 10))
        let half = PaymentEvent.refunded(paymentIntentId: purchase.paymentIntentId!, refundedTotalCents: 500)
        guard case .refunded(let refunded, let taken) = try await store.applyPayment(half) else { Issue.record("not refunded"); return }
        #expect(taken == Amount(units: 10))
        #expect(refunded.creditsUnrecovered == Amount(units: 40))
        #expect(try await store.applyPayment(half) == .unchanged("refunds of purchase \(purchase.id) total 500 cents already"))
        #expect(try await store.workspace(id: "w").remainingBalance == .zero)
        let stored = try await store.purchase(workspaceId: "w", id: purchase.id)
        #expect(stored.refundedCents == 500 && stored.creditsRefunded == Amount(units: 10))
        let kinds = try await store.transactions(workspaceId: "w", limit: 500, cursor: nil).items.map(\.kind)
        #expect(kinds.filter { $0 == "credit_refund" }.count == 1)
        _ = try await store.expectLedgerHolds()
    }

    /// Events in any order converge: a refund reported before the payment is applied when
    /// the payment arrives, and a failure never undoes a success.
    @Test(arguments: Backend.allCases)
    func eventsOutOfOrderConverge(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", plan: "prepaid")
        let purchase = try await Self.pending(store, package: "professional", intent: "pi_order_\(backend)")
        _ = try await store.applyPayment(.refunded(paymentIntentId: purchase.paymentIntentId!, refundedTotalCents: 2_000))
        #expect(try await store.workspace(id: "w").remainingBalance == .zero)
        _ = try await store.applyPayment(Self.paid(purchase))
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(units: 750))
        let failed = PaymentEvent.failed(paymentIntentId: purchase.paymentIntentId!, purchaseId: purchase.id, reason: "late")
        #expect(try await store.applyPayment(failed) == .unchanged("purchase \(purchase.id) is succeeded already"))
        #expect(try await store.purchase(workspaceId: "w", id: purchase.id).status == .succeeded)
        _ = try await store.expectLedgerHolds()
    }

    /// A payment for a PaymentIntent Tribute did not start, or that pays too little, changes
    /// nothing.
    @Test(arguments: Backend.allCases)
    func foreignAndShortPaymentsChangeNothing(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", plan: "prepaid")
        let purchase = try await Self.pending(store, intent: "pi_short_\(backend)")
        let foreign = PaymentEvent.succeeded(paymentIntentId: "pi_elsewhere", purchaseId: nil, amountReceivedCents: 1_000, currency: "usd")
        #expect(try await store.applyPayment(foreign) == .unchanged("no purchase for PaymentIntent pi_elsewhere"))
        let short = PaymentEvent.succeeded(paymentIntentId: purchase.paymentIntentId!, purchaseId: nil, amountReceivedCents: 999, currency: "usd")
        guard case .unchanged = try await store.applyPayment(short) else { Issue.record("a short payment was credited"); return }
        #expect(try await store.workspace(id: "w").remainingBalance == .zero)
        // A prepaid workspace starts with no transaction at all; none was added.
        #expect(try await store.transactions(workspaceId: "w", limit: 10, cursor: nil).items.isEmpty)
        _ = try await store.expectLedgerHolds()
    }
}

/// Threshold alerts, written to the outbox by the debits that cross them, on every backend.
@Suite struct AlertConformanceTests {
    @Test(arguments: Backend.allCases)
    func allowanceAndLowBalanceAlertsFireOnceWhenCrossed(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        _ = try await store.putPlan(Plan(id: "tiny", name: "Tiny", monthlyAllowance: Amount(units: 10), overagePolicy: .credits, overageRate: Amount(units: 1), priceCents: 0))
        try await store.makeWorkspace("w", plan: "tiny", credits: Amount(units: 5))
        _ = try await store.updateWorkspace(id: "w", patch: WorkspacePatch(planId: nil, status: nil, name: nil, lowBalanceThreshold: Amount(units: 3)))
        #expect(try await store.workspace(id: "w").lowBalanceThreshold == Amount(units: 3))
        _ = try await store.createWebhookEndpoint(url: "http://127.0.0.1:9/alerts", eventTypes: [.allowanceThreshold], description: nil)
        // 10 from the allowance, then 5 from credits: 5 → 4 → 3 → 2 (below 3) → 1 → 0.
        for _ in 0..<15 {
            let outcome = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM"), idempotency: nil)
            #expect(outcome.approved)
        }
        let events = try await store.events(workspaceId: "w", afterSeq: 0, limit: 50)
        #expect(events.map(\.type) == [.allowanceThreshold, .allowanceThreshold, .balanceLow])
        #expect(events[0].data["percent"] == .number("80") && events[0].data["used"] == .number("8"))
        #expect(events[1].data["percent"] == .number("100") && events[1].data["remainingAllowance"] == .number("0"))
        #expect(events[2].data["remainingBalance"] == .number("2"))
        // The endpoint wants allowance alerts only: two deliveries are queued.
        #expect(try await store.claimDeliveries(limit: 10, perEndpoint: 10, inFlight: [:], leaseMillis: 1_000).map(\.eventType) == ["allowance.threshold", "allowance.threshold"])
        _ = try await store.expectLedgerHolds()
    }
}
