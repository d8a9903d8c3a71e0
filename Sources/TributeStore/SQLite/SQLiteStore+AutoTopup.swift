import GRDB
import TributeCore

extension SQLiteStore {
    public func autoTopup(workspaceId: String) async throws -> AutoTopupView {
        let nowMillis = clock.nowMillis()
        return try await pool.read { db in try SQLiteStore.autoTopupView(db, workspaceId: workspaceId, nowMillis: nowMillis) }
    }

    public func autoTopupAttempts(workspaceId: String, limit: Int) async throws -> [AutoTopupAttempt] {
        try await pool.read { db in
            try SQLiteStore.requireWorkspace(db, workspaceId)
            return try db.all(AutoTopupRows.recent(workspaceId: workspaceId, limit: limit), AutoTopupRows.attempt).map(\.attempt)
        }
    }

    public func putAutoTopup(workspaceId: String, settings: AutoTopupSettings) async throws -> AutoTopupView {
        let nowMillis = clock.nowMillis()
        return try await write { db in
            var state = try SQLiteStore.loadForAutoTopup(db, workspaceId: workspaceId, nowMillis: nowMillis)
            // Turning it off never needs a package on sale (the one named may be retired).
            let onSale = try db.one(CreditPackageRows.active(id: settings.packageId), CreditPackageRows.package) != nil
            guard onSale || !settings.enabled else {
                throw TributeError.packageNotFound(settings.packageId)
            }
            let stored = try db.one(AutoTopupRows.stored(workspaceId: workspaceId), AutoTopupRows.stored)
            try SQLiteStore.apply(db, AutoTopupSteps.put(settings, state: &state, stored: stored, nowMillis: nowMillis), workspaceId: workspaceId, nowMillis: nowMillis)
            return try SQLiteStore.autoTopupView(db, workspaceId: workspaceId, nowMillis: nowMillis)
        }
    }

    public func setStripeCustomer(workspaceId: String, customerId: String) async throws -> String {
        let nowMillis = clock.nowMillis()
        return try await write { db in
            try SQLiteStore.requireWorkspace(db, workspaceId)
            for statement in AutoTopupRows.setCustomer(customerId, workspaceId: workspaceId, nowMillis: nowMillis) { try db.run(statement) }
            return try db.one(AutoTopupRows.stored(workspaceId: workspaceId), AutoTopupRows.stored)?.customerId ?? customerId
        }
    }

    public func saveCard(workspaceId: String, card: SavedCard, customerId: String?) async throws -> AutoTopupView {
        let nowMillis = clock.nowMillis()
        return try await write { db in
            var state = try SQLiteStore.loadForAutoTopup(db, workspaceId: workspaceId, nowMillis: nowMillis)
            let stored = try db.one(AutoTopupRows.stored(workspaceId: workspaceId), AutoTopupRows.stored)
            let step = AutoTopupSteps.cardSaved(card, customerId: customerId, state: &state, stored: stored, nowMillis: nowMillis)
            try SQLiteStore.apply(db, step, workspaceId: workspaceId, nowMillis: nowMillis)
            return try SQLiteStore.autoTopupView(db, workspaceId: workspaceId, nowMillis: nowMillis)
        }
    }

    public func workspaceId(stripeCustomer customerId: String) async throws -> String? {
        try await pool.read { db in try db.one(AutoTopupRows.workspace(customerId: customerId)) { try $0.text() } }
    }

    public func claimAutoTopups(limit: Int, leaseMillis: Int64) async throws -> [AutoTopupCharge] {
        let nowMillis = clock.nowMillis()
        let dueStatement = AutoTopupRows.due(nowMillis: nowMillis, limit: limit)
        // Read first: a write would flush and forget the writer's cached state (`HotState`),
        // and the worker asks every second, almost always to find nothing.
        let found = try await pool.read { db in try db.all(dueStatement) { try $0.text() } }
        guard !found.isEmpty else { return [] }
        return try await write { db in
            var charges: [AutoTopupCharge] = []
            let due = try db.all(dueStatement) { columns -> String in
                let id = try columns.text()
                _ = try columns.text()
                return id
            }
            for id in due {
                guard try db.runChangingRows(AutoTopupRows.claim(id: id, nowMillis: nowMillis, leaseMillis: leaseMillis)),
                      let (attempt, tries) = try db.one(AutoTopupRows.attempt(id: id), AutoTopupRows.attempt) else { continue }
                var state = try SQLiteStore.loadForAutoTopup(db, workspaceId: attempt.workspaceId, nowMillis: nowMillis)
                let stored = try db.one(AutoTopupRows.stored(workspaceId: attempt.workspaceId), AutoTopupRows.stored)
                let package = try stored?.packageId.flatMap { try db.one(CreditPackageRows.active(id: $0), CreditPackageRows.package) }
                let windows = AutoTopup.windows(billing: state.period, nowMillis: nowMillis)
                let spent = try db.one(AutoTopupRows.spent(workspaceId: attempt.workspaceId, dayStartMillis: windows.dayStartMillis, monthStartMillis: windows.monthStartMillis),
                                       AutoTopupRows.spent) ?? AutoTopup.Spent(chargesToday: 0, centsThisMonth: 0)
                let step = AutoTopupSteps.size(attempt, tries: tries - 1, state: &state, stored: stored, package: package, spent: spent, nowMillis: nowMillis)
                try SQLiteStore.apply(db, step, workspaceId: attempt.workspaceId, nowMillis: nowMillis)
                if let charge = step.charge { charges.append(charge) }
            }
            return charges
        }
    }

    public func recordAutoTopupIntent(attemptId: String, paymentIntentId: String) async throws {
        let attach = PurchaseRow.attach(paymentIntentId: paymentIntentId, toPurchase: attemptId, nowMillis: clock.nowMillis())
        try await write { db in try db.run(attach) }
    }

    public func retryAutoTopup(attemptId: String, reason: String, delayMillis: Int64) async throws {
        let retry = AutoTopupRows.retry(id: attemptId, reason: reason, nowMillis: clock.nowMillis(), delayMillis: delayMillis)
        try await write { db in try db.run(retry) }
    }

    public func failAutoTopup(attemptId: String, reason: String, clientSecret: String?) async throws {
        let nowMillis = clock.nowMillis()
        try await write { db in
            guard let (attempt, _) = try db.one(AutoTopupRows.attempt(id: attemptId), AutoTopupRows.attempt), attempt.status == .open else { return }
            var state = try SQLiteLedger.loadWorkspace(db, id: attempt.workspaceId)
            let stored = try db.one(AutoTopupRows.stored(workspaceId: attempt.workspaceId), AutoTopupRows.stored)
            let step = AutoTopupSteps.failed(attempt, state: &state, stored: stored, reason: reason, clientSecret: clientSecret, nowMillis: nowMillis)
            try SQLiteStore.apply(db, step, workspaceId: attempt.workspaceId, nowMillis: nowMillis)
        }
    }

    /// Auto top-up's part of a payment event, in its transaction (`AutoTopupSteps.paid`):
    /// judged by the purchase as the event left it.
    static func autoTopupAfterPayment(_ db: Database, _ effect: PaymentStep.Effect, walletAfter: Amount, nowMillis: Int64) throws {
        let purchase = effect.purchase
        guard purchase.status != .pending else { return }
        let attempt = try db.one(AutoTopupRows.attempt(id: purchase.id), AutoTopupRows.attempt)?.attempt
        var credited = false
        if case .credited = effect.outcome { credited = true }
        guard attempt != nil || credited else { return }
        var state = try SQLiteLedger.loadWorkspace(db, id: purchase.workspaceId)
        state.wallet = walletAfter
        let stored = try db.one(AutoTopupRows.stored(workspaceId: purchase.workspaceId), AutoTopupRows.stored)
        let step = AutoTopupSteps.paid(purchase, credited: credited, attempt: attempt, state: &state, stored: stored, nowMillis: nowMillis)
        try apply(db, step, workspaceId: purchase.workspaceId, nowMillis: nowMillis)
    }

    /// The workspace in its current period with its expired grants expired: the available
    /// credits an attempt is sized against.
    private static func loadForAutoTopup(_ db: Database, workspaceId: String, nowMillis: Int64) throws -> WorkspaceState {
        var state = try SQLiteLedger.loadWorkspace(db, id: workspaceId)
        try SQLiteLedger.rollPeriodIfNeeded(db, &state, nowMillis: nowMillis)
        try SQLiteLedger.expireGrantsIfNeeded(db, &state, nowMillis: nowMillis)
        return state
    }

    private static func apply(_ db: Database, _ write: AutoTopupWrite, workspaceId: String, nowMillis: Int64) throws {
        for statement in write.statements { try db.run(statement) }
        try appendEvents(db, workspaceId: workspaceId, write.events, atMillis: nowMillis)
    }

    static func autoTopupView(_ db: Database, workspaceId: String, nowMillis: Int64) throws -> AutoTopupView {
        let state = try SQLiteLedger.loadWorkspace(db, id: workspaceId)
        let stored = try db.one(AutoTopupRows.stored(workspaceId: workspaceId), AutoTopupRows.stored)
        let windows = AutoTopup.windows(billing: BillingPeriod.containing(nowMillis / 1000, anchor: state.anchorDate), nowMillis: nowMillis)
        let spent = try db.one(AutoTopupRows.spent(workspaceId: workspaceId, dayStartMillis: windows.dayStartMillis, monthStartMillis: windows.monthStartMillis),
                               AutoTopupRows.spent) ?? AutoTopup.Spent(chargesToday: 0, centsThisMonth: 0)
        let last = try db.one(AutoTopupRows.last(workspaceId: workspaceId), AutoTopupRows.attempt)?.attempt
        return AutoTopupSteps.view(state: state, stored: stored, spent: spent, last: last, nowMillis: nowMillis)
    }
}
