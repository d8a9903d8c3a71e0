import PostgresNIO
import TributeCore

extension PostgresStore {
    public func autoTopup(workspaceId: String) async throws -> AutoTopupView {
        let nowMillis = clock.nowMillis()
        return try await read { connection in try await PostgresStore.autoTopupView(connection, workspaceId: workspaceId, nowMillis: nowMillis) }
    }

    public func autoTopupAttempts(workspaceId: String, limit: Int) async throws -> [AutoTopupAttempt] {
        try await read { connection in
            try await PostgresStore.requireWorkspace(connection, workspaceId)
            return try await connection.all(AutoTopupRows.recent(workspaceId: workspaceId, limit: limit), AutoTopupRows.attempt).map(\.attempt)
        }
    }

    public func putAutoTopup(workspaceId: String, settings: AutoTopupSettings) async throws -> AutoTopupView {
        let nowMillis = clock.nowMillis()
        try await transaction { connection in
            var state = try await PostgresStore.lockForAutoTopup(connection, workspaceId: workspaceId, nowMillis: nowMillis)
            // Turning it off never needs a package on sale (the one named may be retired).
            let onSale = try await connection.one(CreditPackageRows.active(id: settings.packageId), CreditPackageRows.package) != nil
            guard onSale || !settings.enabled else {
                throw TributeError.packageNotFound(settings.packageId)
            }
            let stored = try await connection.one(AutoTopupRows.stored(workspaceId: workspaceId), AutoTopupRows.stored)
            try await PostgresStore.apply(connection, AutoTopupSteps.put(settings, state: &state, stored: stored, nowMillis: nowMillis),
                                          workspaceId: workspaceId, nowMillis: nowMillis)
        }
        return try await autoTopup(workspaceId: workspaceId)
    }

    public func setStripeCustomer(workspaceId: String, customerId: String) async throws -> String {
        let nowMillis = clock.nowMillis()
        return try await transaction { connection in
            _ = try await PostgresLedger.lockWorkspace(connection, id: workspaceId)
            for statement in AutoTopupRows.setCustomer(customerId, workspaceId: workspaceId, nowMillis: nowMillis) { try await connection.run(statement) }
            return try await connection.one(AutoTopupRows.stored(workspaceId: workspaceId), AutoTopupRows.stored)?.customerId ?? customerId
        }
    }

    public func saveCard(workspaceId: String, card: SavedCard, customerId: String?) async throws -> AutoTopupView {
        let nowMillis = clock.nowMillis()
        try await transaction { connection in
            var state = try await PostgresStore.lockForAutoTopup(connection, workspaceId: workspaceId, nowMillis: nowMillis)
            let stored = try await connection.one(AutoTopupRows.stored(workspaceId: workspaceId), AutoTopupRows.stored)
            let step = AutoTopupSteps.cardSaved(card, customerId: customerId, state: &state, stored: stored, nowMillis: nowMillis)
            try await PostgresStore.apply(connection, step, workspaceId: workspaceId, nowMillis: nowMillis)
        }
        return try await autoTopup(workspaceId: workspaceId)
    }

    public func workspaceId(stripeCustomer customerId: String) async throws -> String? {
        try await read { connection in try await connection.one(AutoTopupRows.workspace(customerId: customerId)) { try $0.text() } }
    }

    public func claimAutoTopups(limit: Int, leaseMillis: Int64) async throws -> [AutoTopupCharge] {
        let nowMillis = clock.nowMillis()
        let due = try await read { connection in
            try await connection.all(AutoTopupRows.due(nowMillis: nowMillis, limit: limit)) { (id: try $0.text(), workspaceId: try $0.text()) }
        }
        var charges: [AutoTopupCharge] = []
        for (id, workspaceId) in due {
            // One transaction per attempt: the workspace is locked first, as a call's batch
            // locks it, then the attempt is claimed; another instance's claim finds it taken.
            let charge: AutoTopupCharge? = try await transaction { connection in
                var state = try await PostgresStore.lockForAutoTopup(connection, workspaceId: workspaceId, nowMillis: nowMillis)
                guard try await connection.runChangingRows(AutoTopupRows.claim(id: id, nowMillis: nowMillis, leaseMillis: leaseMillis)),
                      let (attempt, tries) = try await connection.one(AutoTopupRows.attempt(id: id), AutoTopupRows.attempt) else { return nil }
                let stored = try await connection.one(AutoTopupRows.stored(workspaceId: workspaceId), AutoTopupRows.stored)
                var package: CreditPackage?
                if let packageId = stored?.packageId { package = try await connection.one(CreditPackageRows.active(id: packageId), CreditPackageRows.package) }
                let windows = AutoTopup.windows(billing: state.period, nowMillis: nowMillis)
                let spent = try await connection.one(
                    AutoTopupRows.spent(workspaceId: workspaceId, dayStartMillis: windows.dayStartMillis, monthStartMillis: windows.monthStartMillis),
                    AutoTopupRows.spent) ?? AutoTopup.Spent(chargesToday: 0, centsThisMonth: 0)
                let step = AutoTopupSteps.size(attempt, tries: tries - 1, state: &state, stored: stored, package: package, spent: spent, nowMillis: nowMillis)
                try await PostgresStore.apply(connection, step, workspaceId: workspaceId, nowMillis: nowMillis)
                return step.charge
            }
            if let charge { charges.append(charge) }
        }
        return charges
    }

    public func recordAutoTopupIntent(attemptId: String, paymentIntentId: String) async throws {
        let attach = PurchaseRow.attach(paymentIntentId: paymentIntentId, toPurchase: attemptId, nowMillis: clock.nowMillis())
        try await transaction { connection in try await connection.run(attach) }
    }

    public func retryAutoTopup(attemptId: String, reason: String, delayMillis: Int64) async throws {
        let retry = AutoTopupRows.retry(id: attemptId, reason: reason, nowMillis: clock.nowMillis(), delayMillis: delayMillis)
        try await transaction { connection in try await connection.run(retry) }
    }

    public func failAutoTopup(attemptId: String, reason: String, clientSecret: String?) async throws {
        let nowMillis = clock.nowMillis()
        try await transaction { connection in
            guard let (found, _) = try await connection.one(AutoTopupRows.attempt(id: attemptId), AutoTopupRows.attempt) else { return }
            var state = try await PostgresLedger.lockWorkspace(connection, id: found.workspaceId)
            // Read again under the lock: the payment's webhook may have closed it meanwhile.
            guard let (attempt, _) = try await connection.one(AutoTopupRows.attempt(id: attemptId), AutoTopupRows.attempt), attempt.status == .open else { return }
            let stored = try await connection.one(AutoTopupRows.stored(workspaceId: attempt.workspaceId), AutoTopupRows.stored)
            let step = AutoTopupSteps.failed(attempt, state: &state, stored: stored, reason: reason, clientSecret: clientSecret, nowMillis: nowMillis)
            try await PostgresStore.apply(connection, step, workspaceId: attempt.workspaceId, nowMillis: nowMillis)
        }
    }

    /// Auto top-up's part of a payment event, in its transaction, under the workspace lock
    /// the payment took (`AutoTopupSteps.paid`): judged by the purchase as the event left it.
    static func autoTopupAfterPayment(_ connection: PostgresConnection, _ effect: PaymentStep.Effect, state locked: WorkspaceState,
                                      walletAfter: Amount, nowMillis: Int64) async throws {
        let purchase = effect.purchase
        guard purchase.status != .pending else { return }
        let attempt = try await connection.one(AutoTopupRows.attempt(id: purchase.id), AutoTopupRows.attempt)?.attempt
        var credited = false
        if case .credited = effect.outcome { credited = true }
        guard attempt != nil || credited else { return }
        var state = locked
        state.wallet = walletAfter
        let stored = try await connection.one(AutoTopupRows.stored(workspaceId: purchase.workspaceId), AutoTopupRows.stored)
        let step = AutoTopupSteps.paid(purchase, credited: credited, attempt: attempt, state: &state, stored: stored, nowMillis: nowMillis)
        try await apply(connection, step, workspaceId: purchase.workspaceId, nowMillis: nowMillis)
    }

    /// The workspace locked, in its current period, with its expired grants expired: the
    /// available credits an attempt is sized against.
    private static func lockForAutoTopup(_ connection: PostgresConnection, workspaceId: String, nowMillis: Int64) async throws -> WorkspaceState {
        var state = try await PostgresLedger.lockWorkspace(connection, id: workspaceId)
        try await PostgresLedger.rollPeriodIfNeeded(connection, &state, nowMillis: nowMillis)
        try await PostgresLedger.expireGrantsIfNeeded(connection, &state, nowMillis: nowMillis)
        return state
    }

    private static func apply(_ connection: PostgresConnection, _ write: AutoTopupWrite, workspaceId: String, nowMillis: Int64) async throws {
        for statement in write.statements { try await connection.run(statement) }
        try await appendEvents(connection, workspaceId: workspaceId, write.events, atMillis: nowMillis)
    }

    static func autoTopupView(_ connection: PostgresConnection, workspaceId: String, nowMillis: Int64) async throws -> AutoTopupView {
        let state = try await PostgresLedger.readWorkspace(connection, id: workspaceId)
        let stored = try await connection.one(AutoTopupRows.stored(workspaceId: workspaceId), AutoTopupRows.stored)
        let windows = AutoTopup.windows(billing: BillingPeriod.containing(nowMillis / 1000, anchor: state.anchorDate), nowMillis: nowMillis)
        let spent = try await connection.one(
            AutoTopupRows.spent(workspaceId: workspaceId, dayStartMillis: windows.dayStartMillis, monthStartMillis: windows.monthStartMillis),
            AutoTopupRows.spent) ?? AutoTopup.Spent(chargesToday: 0, centsThisMonth: 0)
        let last = try await connection.one(AutoTopupRows.last(workspaceId: workspaceId), AutoTopupRows.attempt)?.attempt
        return AutoTopupSteps.view(state: state, stored: stored, spent: spent, last: last, nowMillis: nowMillis)
    }
}
