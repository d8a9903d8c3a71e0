import TributeCore

/// What one of auto top-up's writes stores, in the transaction that loaded its inputs.
struct AutoTopupWrite {
    var statements: [StoreStatement] = []
    var events: [EventDraft] = []
    /// A charge for the payment worker to send, after the commit.
    var charge: AutoTopupCharge?
}

/// Auto top-up's writes outside the calls' batches, the same on both backends: each takes
/// what its backend loaded with the workspace locked, applies the kernel's rules
/// (`AutoTopup`), and returns the rows and events to write.
enum AutoTopupSteps {
    /// The trigger as a rule left it, stored, and an attempt when it starts one now: enabling
    /// below the threshold, a new card, a payment that left the credits still low.
    private static func settle(_ state: inout WorkspaceState, previous: AutoTopup.Trigger?, nowMillis: Int64, into write: inout AutoTopupWrite) {
        if state.autoTopup != previous { write.statements.append(WorkspaceRows.setAutoTopup(state.autoTopup, workspaceId: state.id)) }
        if let start = AutoTopup.trigger(&state, nowMillis: nowMillis, attemptId: { Identifier.make("atu") }) {
            write.statements += AutoTopupRows.open(start)
        }
    }

    /// `PUT /v1/workspaces/{id}/auto-topup`.
    static func put(_ settings: AutoTopupSettings, state: inout WorkspaceState, stored: AutoTopupRows.Stored?, nowMillis: Int64) -> AutoTopupWrite {
        var write = AutoTopupWrite(statements: AutoTopupRows.putSettings(settings, workspaceId: state.id, nowMillis: nowMillis))
        let previous = state.autoTopup
        let blocked = stored?.card.map { $0.fingerprint == stored?.blockedFingerprint } ?? false
        state.autoTopup = AutoTopup.configured(enabled: settings.enabled, threshold: settings.threshold, hasCard: stored?.card != nil, cardBlocked: blocked,
                                               previous: previous)
        settle(&state, previous: previous, nowMillis: nowMillis, into: &write)
        return write
    }

    /// A card saved by a SetupIntent (or a purchase with `saveCard`).
    static func cardSaved(_ card: SavedCard, customerId: String?, state: inout WorkspaceState, stored: AutoTopupRows.Stored?, nowMillis: Int64) -> AutoTopupWrite {
        var write = AutoTopupWrite(statements: AutoTopupRows.saveCard(card, customerId: customerId, workspaceId: state.id, nowMillis: nowMillis))
        let previous = state.autoTopup
        state.autoTopup = AutoTopup.cardSaved(previous, fingerprint: card.fingerprint, blockedFingerprint: stored?.blockedFingerprint)
        settle(&state, previous: previous, nowMillis: nowMillis, into: &write)
        return write
    }

    /// The worker's first step for an attempt it claimed: the one charge (`AutoTopup.size`)
    /// recorded as a pending purchase, or why there is none. An attempt sized before (a
    /// retry) charges what it was sized at.
    static func size(_ attempt: AutoTopupAttempt, tries: Int, state: inout WorkspaceState, stored: AutoTopupRows.Stored?, package: CreditPackage?,
                     spent: AutoTopup.Spent, nowMillis: Int64) -> AutoTopupWrite {
        var write = AutoTopupWrite()
        let previous = state.autoTopup
        let wanted = previous?.state == .pending && state.status == .active
        if let cents = attempt.cents, let currency = attempt.currency {
            // Sized before (a retry): the same charge, under the same key; turned off since,
            // only a PaymentIntent already made is followed.
            if let customer = stored?.customerId, let card = stored?.card {
                write.charge = AutoTopupCharge(attemptId: attempt.id, workspaceId: state.id, customerId: customer, paymentMethodId: card.paymentMethodId,
                                               cents: cents, currency: currency, tries: tries, paymentIntentId: attempt.paymentIntentId, mayCreate: wanted)
            }
            return write
        }
        guard let trigger = previous, wanted,
              let settings = stored?.settings(threshold: trigger.threshold, enabled: true), let card = stored?.card, let customer = stored?.customerId else {
            write.statements.append(AutoTopupRows.close(id: attempt.id, status: .skipped, reason: "auto top-up was turned off", nowMillis: nowMillis))
            state.autoTopup = AutoTopup.notNeeded(previous)
            if state.autoTopup != previous { write.statements.append(WorkspaceRows.setAutoTopup(state.autoTopup, workspaceId: state.id)) }
            return write
        }
        guard let package, package.active else {
            return failed(attempt, state: &state, stored: stored, reason: "package_unavailable", clientSecret: nil, nowMillis: nowMillis)
        }
        switch AutoTopup.size(available: state.wallet, threshold: trigger.threshold, mode: settings.mode, package: package, limits: settings.limits, spent: spent) {
        case .success(nil):
            write.statements.append(AutoTopupRows.close(id: attempt.id, status: .skipped, reason: "credits are above the threshold", nowMillis: nowMillis))
            state.autoTopup = AutoTopup.notNeeded(previous)
            write.statements.append(WorkspaceRows.setAutoTopup(state.autoTopup, workspaceId: state.id))
        case .success(let sizing?):
            let (purchase, insert) = PurchaseRow.open(attemptId: attempt.id, workspaceId: state.id, package: package, sizing: sizing, nowMillis: nowMillis)
            write.statements += [insert, AutoTopupRows.sized(id: attempt.id, packages: sizing.packages, cappedBy: sizing.cappedBy, nowMillis: nowMillis)]
            var sized = attempt
            sized.packages = sizing.packages
            sized.cents = sizing.cents
            sized.credits = sizing.credits
            sized.currency = purchase.currency
            sized.cappedBy = sizing.cappedBy
            sized.updatedAtMillis = nowMillis
            write.events.append((.autoTopupStarted, ["attempt": sized.json]))
            write.charge = AutoTopupCharge(attemptId: attempt.id, workspaceId: state.id, customerId: customer, paymentMethodId: card.paymentMethodId,
                                           cents: sizing.cents, currency: purchase.currency, tries: tries, paymentIntentId: nil)
        case .failure(let reached):
            write.statements.append(AutoTopupRows.close(id: attempt.id, status: .limited, reason: nil, cappedBy: reached.limit, nowMillis: nowMillis))
            let (next, announce) = AutoTopup.limited(previous, by: reached.limit, billing: state.period, nowMillis: nowMillis)
            state.autoTopup = next
            write.statements.append(WorkspaceRows.setAutoTopup(next, workspaceId: state.id))
            if announce, let next {
                var limited = attempt
                limited.status = .limited
                limited.cappedBy = reached.limit
                limited.updatedAtMillis = nowMillis
                write.events.append((.autoTopupLimited, [
                    "attempt": limited.json, "limit": .string(reached.limit.rawValue),
                    "until": next.limitedUntilMillis.map { .timestamp(millis: $0) } ?? .null,
                ]))
            }
        }
        return write
    }

    /// A charge that failed for good (a decline, authentication the owner must give, a
    /// failed payment): the attempt and its purchase fail, and auto top-up is suspended with
    /// the card's fingerprint blocked until another card or a purchase.
    static func failed(_ attempt: AutoTopupAttempt, state: inout WorkspaceState, stored: AutoTopupRows.Stored?, reason: String, clientSecret: String?,
                       nowMillis: Int64) -> AutoTopupWrite {
        var write = AutoTopupWrite(statements: [
            AutoTopupRows.close(id: attempt.id, status: .failed, reason: reason, nowMillis: nowMillis),
            PurchaseRow.fail(purchaseId: attempt.id, reason: reason, nowMillis: nowMillis),
        ])
        if AutoTopup.blocksCard(reason) { write.statements.append(AutoTopupRows.block(fingerprint: stored?.card?.fingerprint, workspaceId: state.id)) }
        state.autoTopup = AutoTopup.failed(state.autoTopup, reason: reason)
        write.statements.append(WorkspaceRows.setAutoTopup(state.autoTopup, workspaceId: state.id))
        var closed = attempt
        closed.status = .failed
        closed.reason = reason
        closed.updatedAtMillis = nowMillis
        var data: [String: JSON] = ["attempt": closed.json, "reason": .string(reason)]
        if let clientSecret { data["clientSecret"] = .string(clientSecret) }
        write.events.append((.autoTopupFailed, data))
        return write
    }

    /// After a payment event of the workspace (`PaymentStep`), judged by the purchase as the
    /// event left it, so that a repeat converges: an attempt whose purchase succeeded is
    /// closed as succeeded (even one failed before: the owner finished it on-session), one
    /// whose purchase failed fails; any success of the workspace ends a wait or a
    /// suspension and lifts the card's block.
    /// - Parameter attempt: the attempt whose purchase it is, if any.
    static func paid(_ purchase: Purchase, credited: Bool, attempt: AutoTopupAttempt?, state: inout WorkspaceState, stored: AutoTopupRows.Stored?,
                     nowMillis: Int64) -> AutoTopupWrite {
        var write = AutoTopupWrite()
        let previous = state.autoTopup
        switch purchase.status {
        case .succeeded:
            if let attempt, attempt.status != .succeeded {
                write.statements.append(AutoTopupRows.succeed(id: attempt.id, nowMillis: nowMillis))
                var closed = attempt
                closed.status = .succeeded
                closed.reason = nil
                closed.paymentIntentId = purchase.paymentIntentId ?? attempt.paymentIntentId
                closed.updatedAtMillis = nowMillis
                write.events.append((.autoTopupSucceeded, ["attempt": closed.json, "remainingBalance": .amount(state.wallet)]))
            }
            guard credited || attempt.map({ $0.status != .succeeded }) == true else { return write }
            state.autoTopup = AutoTopup.paid(previous)
            if stored?.blockedFingerprint != nil { write.statements.append(AutoTopupRows.block(fingerprint: nil, workspaceId: state.id)) }
            settle(&state, previous: previous, nowMillis: nowMillis, into: &write)
        case .failed:
            guard let attempt, attempt.status == .open else { return write }
            return failed(attempt, state: &state, stored: stored, reason: "payment_failed", clientSecret: nil, nowMillis: nowMillis)
        case .pending:
            break
        }
        return write
    }

    /// The settings, state and newest attempt, as `GET /v1/workspaces/{id}/auto-topup` shows them.
    static func view(state: WorkspaceState, stored: AutoTopupRows.Stored?, spent: AutoTopup.Spent, last: AutoTopupAttempt?, nowMillis: Int64) -> AutoTopupView {
        let current = state.autoTopup?.current(nowMillis: nowMillis)
        return AutoTopupView(
            workspaceId: state.id, settings: stored?.settings(threshold: state.autoTopup?.threshold ?? stored?.threshold ?? .zero, enabled: state.autoTopup != nil),
            state: current, reason: current == .active || current == .pending ? nil : state.autoTopup?.reason,
            spentThisMonthCents: spent.centsThisMonth, chargesToday: spent.chargesToday, lastAttempt: last, paymentMethod: stored?.card,
            customerId: stored?.customerId)
    }
}
