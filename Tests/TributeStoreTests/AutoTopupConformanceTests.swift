import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// Auto top-up (SPEC §3.8) on every backend: the trigger in the call's atomic step, one open
/// attempt per workspace, the one charge, and the state moving with cards, payments and limits.
@Suite struct AutoTopupConformanceTests {
    static let visa = SavedCard(paymentMethodId: "pm_visa_1", brand: "visa", last4: "4242", fingerprint: "fp_visa")
    static let debit = AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM")

    /// Starter packages (100 credits, $10) while available credits are at or below `threshold`.
    static func settings(threshold: Amount = Amount(units: 50), mode: AutoTopup.Mode = .threshold, maxCentsPerMonth: Int64 = 100_000,
                         maxChargesPerDay: Int = 5, enabled: Bool = true) -> AutoTopupSettings {
        AutoTopupSettings(enabled: enabled, packageId: "starter", threshold: threshold, mode: mode,
                          limits: AutoTopup.Limits(maxChargesPerDay: maxChargesPerDay, maxCentsPerMonth: maxCentsPerMonth))
    }

    /// A workspace with `credits`, a card and a customer, and auto top-up on.
    static func armed(_ store: any TributeStore, credits: Amount, settings: AutoTopupSettings = settings()) async throws -> AutoTopupView {
        try await store.makeWorkspace("w", credits: credits)
        _ = try await store.setStripeCustomer(workspaceId: "w", customerId: "cus_w")
        _ = try await store.saveCard(workspaceId: "w", card: visa, customerId: "cus_w")
        return try await store.putAutoTopup(workspaceId: "w", settings: settings)
    }

    /// Debits of 0.1 credits until the available credits are at most `available`.
    static func spend(_ store: any TributeStore, downTo available: Amount) async throws {
        while try await store.workspace(id: "w").remainingBalance > available {
            _ = try await store.authorize(debit, idempotency: nil)
        }
    }

    static func succeeded(_ charge: AutoTopupCharge, intent: String) -> PaymentEvent {
        .succeeded(paymentIntentId: intent, purchaseId: charge.attemptId, amountReceivedCents: charge.cents, currency: charge.currency)
    }

    @Test(arguments: Backend.allCases)
    func settingsWaitForACardThenArm(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 100))
        let off = try await store.autoTopup(workspaceId: "w")
        #expect(off.settings == nil && off.state == nil && off.paymentMethod == nil && off.lastAttempt == nil)
        let waiting = try await store.putAutoTopup(workspaceId: "w", settings: Self.settings())
        #expect(waiting.state == .noPaymentMethod && waiting.settings == Self.settings())
        let armed = try await store.saveCard(workspaceId: "w", card: Self.visa, customerId: "cus_w")
        #expect(armed.state == .active && armed.paymentMethod == Self.visa && armed.customerId == "cus_w")
        #expect(try await store.setStripeCustomer(workspaceId: "w", customerId: "cus_other") == "cus_w")
        let disabled = try await store.putAutoTopup(workspaceId: "w", settings: Self.settings(threshold: Amount(units: 7), enabled: false))
        #expect(disabled.state == nil && disabled.settings?.enabled == false && disabled.settings?.threshold == Amount(units: 7))
        await #expect(throws: TributeError.packageNotFound("nope")) {
            var bad = Self.settings()
            bad.packageId = "nope"
            return try await store.putAutoTopup(workspaceId: "w", settings: bad)
        }
        await #expect(throws: TributeError.workspaceNotFound("x")) { try await store.putAutoTopup(workspaceId: "x", settings: Self.settings()) }
        #expect(try await store.workspaceId(stripeCustomer: "cus_w") == "w")
        #expect(try await store.workspaceId(stripeCustomer: "cus_nobody") == nil)
    }

    /// 200 debits at once cross the threshold: exactly one attempt, charged once.
    @Test(arguments: Backend.allCases)
    func parallelDebitsAcrossTheThresholdStartOneAttempt(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        _ = try await Self.armed(store, credits: Amount(units: 60))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<200 { group.addTask { _ = try await store.authorize(Self.debit, idempotency: nil) } }
            try await group.waitForAll()
        }
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(units: 40))
        let attempts = try await store.autoTopupAttempts(workspaceId: "w", limit: 10)
        #expect(attempts.count == 1 && attempts[0].status == .open)
        #expect(try await store.autoTopup(workspaceId: "w").state == .pending)
        let charges = try await store.claimAutoTopups(limit: 10, leaseMillis: 30_000)
        #expect(charges.count == 1)
        // 40 available, threshold 50: one package lifts it to 140.
        #expect(charges.first?.cents == 1_000 && charges.first?.customerId == "cus_w" && charges.first?.paymentMethodId == "pm_visa_1")
        #expect(try await store.claimAutoTopups(limit: 10, leaseMillis: 30_000).isEmpty, "leased: no second worker takes it")
        let events = try await store.events(workspaceId: "w", afterSeq: 0, limit: 100).filter { $0.type == .autoTopupStarted }
        #expect(events.count == 1)
        _ = try await store.expectLedgerHolds()
    }

    /// Two PostgreSQL instances on one database: 200 debits through both cross the threshold
    /// once, and their workers, claiming at once, send one charge.
    @Test func twoPostgreSQLInstancesStartOneAttemptAndSendOneCharge() async throws {
        let url = try await TestPostgres.newDatabase()
        let clock = ManualClock(millis: Backend.testClockStart)
        let first = try PostgresStore(url: url, clock: clock, timeoutSeconds: Backend.postgresTimeoutSeconds)
        await first.start()
        try await first.migrate()
        let second = try PostgresStore(url: url, clock: clock, timeoutSeconds: Backend.postgresTimeoutSeconds)
        await second.start()
        _ = try await Self.armed(first, credits: Amount(units: 60))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                let store: any TributeStore = index % 2 == 0 ? first : second
                group.addTask { _ = try await store.authorize(Self.debit, idempotency: nil) }
            }
            try await group.waitForAll()
        }
        #expect(try await second.workspace(id: "w").remainingBalance == Amount(units: 40))
        #expect(try await second.autoTopupAttempts(workspaceId: "w", limit: 10).count == 1)
        let charges = try await withThrowingTaskGroup(of: [AutoTopupCharge].self) { group in
            for store in [first, second, first, second] { group.addTask { try await store.claimAutoTopups(limit: 10, leaseMillis: 30_000) } }
            return try await group.reduce(into: [AutoTopupCharge]()) { $0 += $1 }
        }
        #expect(charges.count == 1)
        _ = try await first.expectLedgerHolds()
    }

    /// A gap of 3.4 packages is one charge of 4; its payment, delivered five times, credits
    /// once and arms auto top-up again.
    @Test(arguments: Backend.allCases)
    func aGapOfThreePointFourPackagesIsOneChargeOfFourCreditedOnce(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        // Threshold 500; 160 available: 340 short.
        _ = try await Self.armed(store, credits: Amount(units: 161), settings: Self.settings(threshold: Amount(units: 500)))
        #expect(try await store.autoTopup(workspaceId: "w").state == .pending, "enabled below the threshold: an attempt at once")
        try await Self.spend(store, downTo: Amount(units: 160))
        let charge = try #require(try await store.claimAutoTopups(limit: 10, leaseMillis: 30_000).first)
        #expect(charge.cents == 4_000)
        try await store.recordAutoTopupIntent(attemptId: charge.attemptId, paymentIntentId: "pi_auto_\(backend)")
        let outcomes = try await withThrowingTaskGroup(of: PaymentOutcome.self) { group in
            for _ in 0..<5 { group.addTask { try await store.applyPayment(Self.succeeded(charge, intent: "pi_auto_\(backend)")) } }
            return try await group.reduce(into: [PaymentOutcome]()) { $0.append($1) }
        }
        #expect(outcomes.filter { if case .credited = $0 { true } else { false } }.count == 1)
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(units: 560))
        let view = try await store.autoTopup(workspaceId: "w")
        #expect(view.state == .active && view.lastAttempt?.status == .succeeded && view.lastAttempt?.packages == 4)
        #expect(view.lastAttempt?.paymentIntentId == "pi_auto_\(backend)" && view.spentThisMonthCents == 4_000 && view.chargesToday == 1)
        let types = try await store.events(workspaceId: "w", afterSeq: 0, limit: 100).map(\.type)
        #expect(types.filter { $0 == .autoTopupSucceeded }.count == 1 && types.filter { $0 == .creditsPurchased }.count == 1)
        _ = try await store.expectLedgerHolds()
    }

    /// A decline suspends; the same card saved again keeps it suspended; another card
    /// resumes it, and (still below the threshold) starts an attempt at once.
    @Test(arguments: Backend.allCases)
    func aDeclineSuspendsUntilAnotherCard(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        _ = try await Self.armed(store, credits: Amount(units: 50))
        let charge = try #require(try await store.claimAutoTopups(limit: 10, leaseMillis: 30_000).first)
        try await store.failAutoTopup(attemptId: charge.attemptId, reason: "card_declined", clientSecret: nil)
        var view = try await store.autoTopup(workspaceId: "w")
        #expect(view.state == .suspended && view.reason == "card_declined" && view.lastAttempt?.status == .failed)
        let denied = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 10_000)), idempotency: nil)
        #expect(field(denied.body, "reason") == .string("INSUFFICIENT_BALANCE"))
        #expect(field(denied.body, "autoTopup") == .object(["state": .string("suspended"), "reason": .string("card_declined")]))
        #expect(try await store.claimAutoTopups(limit: 10, leaseMillis: 30_000).isEmpty, "no retry on that card")
        var again = Self.visa
        again.paymentMethodId = "pm_visa_2"
        view = try await store.saveCard(workspaceId: "w", card: again, customerId: nil)
        #expect(view.state == .suspended)
        view = try await store.saveCard(workspaceId: "w", card: SavedCard(paymentMethodId: "pm_mc", brand: "mastercard", last4: "4444", fingerprint: "fp_mc"), customerId: nil)
        #expect(view.state == .pending && view.paymentMethod?.last4 == "4444")
        let failed = try await store.events(workspaceId: "w", afterSeq: 0, limit: 100).filter { $0.type == .autoTopupFailed }
        #expect(failed.count == 1 && failed.first?.data["reason"] == .string("card_declined"))
        _ = try await store.expectLedgerHolds()
    }

    /// A manual purchase that succeeds resumes a suspension, as a new card does; the card's
    /// block is lifted with it.
    @Test(arguments: Backend.allCases)
    func aManualPurchaseResumesASuspension(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        _ = try await Self.armed(store, credits: Amount(units: 50))
        let charge = try #require(try await store.claimAutoTopups(limit: 10, leaseMillis: 30_000).first)
        try await store.failAutoTopup(attemptId: charge.attemptId, reason: "card_declined", clientSecret: nil)
        #expect(try await store.autoTopup(workspaceId: "w").state == .suspended)
        let purchase = try await PaymentConformanceTests.pending(store, intent: "pi_manual_\(backend)")
        _ = try await store.applyPayment(PaymentConformanceTests.paid(purchase))
        let view = try await store.autoTopup(workspaceId: "w")
        #expect(view.state == .active && view.reason == nil, "150 available, above the threshold: armed, nothing to buy")
        // The card that failed is no longer blocked: saved again, it stays armed.
        #expect(try await store.saveCard(workspaceId: "w", card: Self.visa, customerId: nil).state == .active)
        _ = try await store.expectLedgerHolds()
    }

    /// Turned off while an attempt is open: the attempt finds nothing to do and charges
    /// nothing; turned on again, it is armed.
    @Test(arguments: Backend.allCases)
    func turningItOffWhileAnAttemptIsOpenChargesNothing(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        _ = try await Self.armed(store, credits: Amount(units: 40))
        #expect(try await store.autoTopup(workspaceId: "w").state == .pending)
        _ = try await store.putAutoTopup(workspaceId: "w", settings: Self.settings(enabled: false))
        #expect(try await store.claimAutoTopups(limit: 10, leaseMillis: 30_000).isEmpty)
        #expect(try await store.autoTopupAttempts(workspaceId: "w", limit: 10).first?.status == .skipped)
        let again = try await store.putAutoTopup(workspaceId: "w", settings: Self.settings())
        #expect(again.state == .pending, "still below the threshold: a new attempt at once")
        #expect(try await store.claimAutoTopups(limit: 10, leaseMillis: 30_000).count == 1)
    }

    /// Turned off and on again, a card that declined stays suspended; authentication the
    /// owner must give blocks the card too, and the payment finished on-session resumes it.
    @Test(arguments: Backend.allCases)
    func aBlockedCardStaysBlockedAndAnAuthenticatedPaymentResumes(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        _ = try await Self.armed(store, credits: Amount(units: 50))
        let declined = try #require(try await store.claimAutoTopups(limit: 10, leaseMillis: 30_000).first)
        try await store.failAutoTopup(attemptId: declined.attemptId, reason: "card_declined", clientSecret: nil)
        _ = try await store.putAutoTopup(workspaceId: "w", settings: Self.settings(enabled: false))
        let again = try await store.putAutoTopup(workspaceId: "w", settings: Self.settings())
        #expect(again.state == .suspended && again.reason == "card_declined")

        // Another card; its charge needs authentication.
        let other = SavedCard(paymentMethodId: "pm_3ds", brand: "visa", last4: "3155", fingerprint: "fp_3ds")
        #expect(try await store.saveCard(workspaceId: "w", card: other, customerId: nil).state == .pending)
        let charge = try #require(try await store.claimAutoTopups(limit: 10, leaseMillis: 30_000).first)
        try await store.recordAutoTopupIntent(attemptId: charge.attemptId, paymentIntentId: "pi_3ds_\(backend)")
        try await store.failAutoTopup(attemptId: charge.attemptId, reason: "action_required", clientSecret: "pi_3ds_secret")
        #expect(try await store.autoTopup(workspaceId: "w").state == .suspended)
        var same = other
        same.paymentMethodId = "pm_3ds_again"
        #expect(try await store.saveCard(workspaceId: "w", card: same, customerId: nil).state == .suspended, "no retry on the same card")
        let failed = try await store.events(workspaceId: "w", afterSeq: 0, limit: 100).filter { $0.type == .autoTopupFailed }.last
        #expect(failed?.data["clientSecret"] == .string("pi_3ds_secret"))
        // The owner finishes it on-session: credited, the attempt succeeded, auto top-up active.
        _ = try await store.applyPayment(Self.succeeded(charge, intent: "pi_3ds_\(backend)"))
        let view = try await store.autoTopup(workspaceId: "w")
        #expect(view.state == .active && view.lastAttempt?.status == .succeeded && view.spentThisMonthCents == charge.cents)
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(units: 150))
        _ = try await store.expectLedgerHolds()
    }

    /// A suspended workspace starts no attempt; one sized before auto top-up was turned off
    /// is only followed at Stripe, never created.
    @Test(arguments: Backend.allCases)
    func nothingIsBoughtForASuspendedWorkspaceOrAfterTurningItOff(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        _ = try await Self.armed(store, credits: Amount(units: 60))
        _ = try await store.updateWorkspace(id: "w", patch: WorkspacePatch(planId: nil, status: .suspended, name: nil))
        _ = try await store.putAutoTopup(workspaceId: "w", settings: Self.settings(threshold: Amount(units: 100)))
        _ = try await store.authorize(Self.debit, idempotency: nil)
        #expect(try await store.autoTopupAttempts(workspaceId: "w", limit: 10).isEmpty)
        _ = try await store.updateWorkspace(id: "w", patch: WorkspacePatch(planId: nil, status: .active, name: nil))
        _ = try await store.authorize(Self.debit, idempotency: nil)
        let sized = try #require(try await store.claimAutoTopups(limit: 10, leaseMillis: 1_000).first)
        #expect(sized.mayCreate)
        _ = try await store.putAutoTopup(workspaceId: "w", settings: Self.settings(enabled: false))
        try await store.retryAutoTopup(attemptId: sized.attemptId, reason: "stripe_unreachable", delayMillis: 0)
        let followed = try #require(try await store.claimAutoTopups(limit: 10, leaseMillis: 1_000).first)
        #expect(followed.attemptId == sized.attemptId && !followed.mayCreate)
    }

    /// The monthly cap: the first charge is cut to what it allows and says so; the next is
    /// `limited`, with one event for the window however often it is hit.
    @Test(arguments: Backend.allCases)
    func theMonthlyCapLimitsAndSaysSoOnce(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        _ = try await Self.armed(store, credits: Amount(units: 101), settings: Self.settings(threshold: Amount(units: 300), maxCentsPerMonth: 2_500))
        try await Self.spend(store, downTo: Amount(units: 100))
        let charge = try #require(try await store.claimAutoTopups(limit: 10, leaseMillis: 30_000).first)
        #expect(charge.cents == 2_000, "3 packages wanted, 2 allowed")
        #expect(try await store.autoTopup(workspaceId: "w").lastAttempt?.cappedBy == .month)
        try await store.recordAutoTopupIntent(attemptId: charge.attemptId, paymentIntentId: "pi_cap_\(backend)")
        _ = try await store.applyPayment(Self.succeeded(charge, intent: "pi_cap_\(backend)"))
        // Still at 300 or below: the next call starts an attempt, which the cap stops.
        for _ in 0..<3 {
            _ = try await store.authorize(Self.debit, idempotency: nil)
            _ = try await store.claimAutoTopups(limit: 10, leaseMillis: 30_000)
        }
        let view = try await store.autoTopup(workspaceId: "w")
        #expect(view.state == .limited && view.reason == "month_limit" && view.spentThisMonthCents == 2_000)
        let limited = try await store.events(workspaceId: "w", afterSeq: 0, limit: 100).filter { $0.type == .autoTopupLimited }
        #expect(limited.count == 1)
        let denied = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 10_000)), idempotency: nil)
        #expect(field(denied.body, "autoTopup") == .object(["state": .string("limited"), "reason": .string("month_limit")]))
        _ = try await store.expectLedgerHolds()
    }

    /// A hold that takes the available credits to the threshold starts the attempt before
    /// its commit; a denial meanwhile says to wait.
    @Test(arguments: Backend.allCases)
    func aHoldTriggersBeforeItsCommit(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        _ = try await Self.armed(store, credits: Amount(units: 60))
        let held = try await store.hold(HoldRequest(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 100)), ttlSeconds: 600),
                                        idempotency: nil)
        #expect(held.approved)
        #expect(try await store.autoTopup(workspaceId: "w").state == .pending)
        let denied = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 10_000)), idempotency: nil)
        #expect(field(denied.body, "autoTopup") == .object(["state": .string("pending")]))
        let approved = try await store.authorize(Self.debit, idempotency: nil)
        #expect(field(approved.body, "autoTopup") == nil)
        _ = try await store.expectLedgerHolds()
    }
}
