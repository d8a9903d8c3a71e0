/// What one Stripe payment event does to one purchase, decided without I/O; each store
/// applies the effect in one transaction.
///
/// Every event is judged against the purchase's stored state rather than remembered by its
/// event id, so that any number of repeats, in any order, converge on the same state:
/// - `succeeded` credits a pending (or failed) purchase once; a repeat finds it succeeded.
/// - `refunded` carries Stripe's running refunded total; only a total above the stored one
///   takes anything back. A refund that arrives before the payment is kept and applied
///   when the credits go in.
/// - `failed` marks a pending purchase failed; it never undoes a success.
public enum PaymentStep {
    public struct Effect: Sendable {
        /// The purchase as it is after the event.
        public var purchase: Purchase
        /// Credits to put into a new grant for the purchase (zero: none).
        public var grantAmount: Amount
        /// Credits to take out of the purchase's grant (zero: none).
        public var takeBack: Amount
        /// Whether the purchase's grant closes now: a refund found its credits spent (some
        /// went unrecovered), so whatever comes back into it later (a reversed charge) is
        /// the refund's, not the customer's — it expires at once.
        public var closesGrant = false
        /// The ledger transactions to append, in order.
        public var transactions: [LedgerTransaction]
        /// Events for the outbox, each with its data object.
        public var events: [EventDraft]
        public var outcome: PaymentOutcome
    }

    /// - Parameters:
    ///   - grantRemaining: what is left in the purchase's grant (zero before it is paid).
    ///   - walletBalance: the workspace's wallet before the event, for the events' balance.
    public static func apply(_ event: PaymentEvent, to purchase: Purchase, grantRemaining: Amount, walletBalance: Amount, nowMillis: Int64) -> Effect {
        var effect = Effect(purchase: purchase, grantAmount: .zero, takeBack: .zero, transactions: [], events: [], outcome: .unchanged(""))
        switch event {
        case .succeeded(_, _, let receivedCents, let currency):
            guard purchase.status != .succeeded else {
                effect.outcome = .unchanged("purchase \(purchase.id) was credited already")
                return effect
            }
            guard currency == purchase.currency, receivedCents >= purchase.amountCents else {
                effect.outcome = .unchanged("payment of \(receivedCents) \(currency) does not cover purchase \(purchase.id) (\(purchase.amountCents) \(purchase.currency))")
                return effect
            }
            effect.purchase.status = .succeeded
            effect.purchase.failureReason = nil
            effect.purchase.updatedAtMillis = nowMillis
            effect.grantAmount = purchase.credits
            // Cannot fail: credits are positive and both accounts count credits.
            effect.transactions.append(try! .transfer(.creditPurchase, purchase.credits, from: .system(.payments), to: .wallet(purchase.workspaceId)))
            var balance = walletBalance + purchase.credits
            effect.events.append((.creditsPurchased, ["purchase": effect.purchase.json, "remainingBalance": .amount(balance)]))
            var taken = Amount.zero
            if purchase.refundedCents > 0 {
                // A refund reported before the payment: take its share now.
                var unpaid = effect.purchase
                unpaid.refundedCents = 0
                if let share = unpaid.refund(toTotalCents: purchase.refundedCents, grantRemaining: purchase.credits) {
                    taken = share.take
                    effect.purchase.creditsRefunded += share.take
                    effect.purchase.creditsUnrecovered += share.unrecovered
                }
            }
            if !taken.isZero {
                effect.takeBack = taken
                effect.transactions.append(try! .transfer(.creditRefund, taken, from: .wallet(purchase.workspaceId), to: .system(.payments)))
                balance -= taken
                effect.events.append((.creditsRefunded, ["purchase": effect.purchase.json, "creditsTaken": .amount(taken), "remainingBalance": .amount(balance)]))
            }
            effect.outcome = .credited(effect.purchase)
        case .failed(_, _, let reason):
            guard purchase.status == .pending else {
                effect.outcome = .unchanged("purchase \(purchase.id) is \(purchase.status.rawValue) already")
                return effect
            }
            effect.purchase.status = .failed
            effect.purchase.failureReason = String(reason.prefix(500))
            effect.purchase.updatedAtMillis = nowMillis
            effect.outcome = .failed(effect.purchase)
        case .refunded(_, let totalCents):
            guard totalCents > purchase.refundedCents else {
                effect.outcome = .unchanged("refunds of purchase \(purchase.id) total \(purchase.refundedCents) cents already")
                return effect
            }
            guard totalCents <= purchase.amountCents else {
                effect.outcome = .unchanged("a refund of \(totalCents) cents is more than purchase \(purchase.id) paid")
                return effect
            }
            effect.purchase.updatedAtMillis = nowMillis
            guard purchase.status == .succeeded, let share = purchase.refund(toTotalCents: totalCents, grantRemaining: grantRemaining) else {
                // Not credited yet: remember the total; the payment will apply it.
                effect.purchase.refundedCents = totalCents
                effect.outcome = .refunded(effect.purchase, taken: .zero)
                return effect
            }
            effect.purchase.refundedCents = totalCents
            effect.purchase.creditsRefunded += share.take
            effect.purchase.creditsUnrecovered += share.unrecovered
            effect.takeBack = share.take
            effect.closesGrant = !share.unrecovered.isZero
            if !share.take.isZero {
                effect.transactions.append(try! .transfer(.creditRefund, share.take, from: .wallet(purchase.workspaceId), to: .system(.payments)))
            }
            effect.events.append((.creditsRefunded, [
                "purchase": effect.purchase.json, "creditsTaken": .amount(share.take), "remainingBalance": .amount(walletBalance - share.take),
            ]))
            effect.outcome = .refunded(effect.purchase, taken: share.take)
        }
        return effect
    }
}
