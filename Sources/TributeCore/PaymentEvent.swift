/// A payment event from Stripe, verified and reduced to what the ledger acts on.
public enum PaymentEvent: Sendable, Equatable {
    /// `payment_intent.succeeded`.
    case succeeded(paymentIntentId: String, purchaseId: String?, amountReceivedCents: Int64, currency: String)
    /// `payment_intent.payment_failed` or `payment_intent.canceled`.
    case failed(paymentIntentId: String, purchaseId: String?, reason: String)
    /// `charge.refunded`: the refunded total so far, not this refund alone.
    case refunded(paymentIntentId: String, refundedTotalCents: Int64)
}

extension PaymentEvent {
    /// The PaymentIntent the event is about, and Tribute's purchase id from its metadata.
    public var references: (paymentIntentId: String, purchaseId: String?) {
        switch self {
        case .succeeded(let intent, let purchase, _, _): (intent, purchase)
        case .failed(let intent, let purchase, _): (intent, purchase)
        case .refunded(let intent, _): (intent, nil)
        }
    }
}
