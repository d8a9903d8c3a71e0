/// What applying a payment event did.
public enum PaymentOutcome: Sendable, Equatable {
    /// The credits went into the wallet.
    case credited(Purchase)
    /// Credits were taken back (possibly none, when all were spent).
    case refunded(Purchase, taken: Amount)
    case failed(Purchase)
    /// Nothing to do: a repeat, an event out of order that changes nothing, or one for a
    /// payment Tribute did not start. The text says which.
    case unchanged(String)
}
