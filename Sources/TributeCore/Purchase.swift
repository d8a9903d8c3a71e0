/// Where a purchase of credits stands.
public enum PurchaseStatus: String, Sendable, CaseIterable {
    /// Recorded; the PaymentIntent is created or being created, and not yet paid.
    case pending
    /// Stripe reported the payment; the credits are in the wallet.
    case succeeded
    /// Stripe reported the payment failed, or the PaymentIntent could not be created.
    case failed
}

/// A workspace's purchase of a credit package. The package's terms are copied in when it is
/// made, so that later edits of the catalog change no purchase.
public struct Purchase: Sendable, Equatable {
    public var id: String
    public var workspaceId: String
    public var packageId: String
    public var credits: Amount
    public var amountCents: Int64
    public var currency: String
    public var status: PurchaseStatus
    public var paymentIntentId: String?
    /// Cents refunded so far, as Stripe counts them (`charge.amount_refunded`).
    public var refundedCents: Int64
    /// Credits taken back from the wallet by refunds.
    public var creditsRefunded: Amount
    /// Credits a refund should have taken back but that were already spent.
    public var creditsUnrecovered: Amount
    /// The grant that holds the purchased credits, once paid.
    public var grantId: String?
    public var failureReason: String?
    public var createdAtMillis: Int64
    public var updatedAtMillis: Int64

    public init(id: String, workspaceId: String, packageId: String, credits: Amount, amountCents: Int64, currency: String, status: PurchaseStatus,
                paymentIntentId: String?, refundedCents: Int64, creditsRefunded: Amount, creditsUnrecovered: Amount, grantId: String?,
                failureReason: String?, createdAtMillis: Int64, updatedAtMillis: Int64) {
        self.id = id
        self.workspaceId = workspaceId
        self.packageId = packageId
        self.credits = credits
        self.amountCents = amountCents
        self.currency = currency
        self.status = status
        self.paymentIntentId = paymentIntentId
        self.refundedCents = refundedCents
        self.creditsRefunded = creditsRefunded
        self.creditsUnrecovered = creditsUnrecovered
        self.grantId = grantId
        self.failureReason = failureReason
        self.createdAtMillis = createdAtMillis
        self.updatedAtMillis = updatedAtMillis
    }

    /// A new pending purchase of `package`.
    public init(id: String, workspaceId: String, package: CreditPackage, atMillis: Int64) {
        self.init(id: id, workspaceId: workspaceId, packageId: package.id, credits: package.credits, amountCents: package.priceCents,
                  currency: package.currency, status: .pending, paymentIntentId: nil, refundedCents: 0, creditsRefunded: .zero,
                  creditsUnrecovered: .zero, grantId: nil, failureReason: nil, createdAtMillis: atMillis, updatedAtMillis: atMillis)
    }

    /// The purchase as a JSON object: the body of `/v1/workspaces/{id}/credit-purchases`,
    /// and the `purchase` member of the `credits.purchased` and `credits.refunded` events.
    ///
    /// In TributeCore, unlike the API's other bodies (TributeServer's `Wire/`): the payment
    /// step puts it into event data that the stores write to the outbox, where webhook
    /// deliveries and the live stream read it back byte for byte.
    public var json: JSON {
        .object([
            "id": .string(id), "workspaceId": .string(workspaceId), "packageId": .string(packageId), "credits": .amount(credits),
            "amountCents": .int(amountCents), "currency": .string(currency), "status": .string(status.rawValue),
            "paymentIntentId": .optional(paymentIntentId), "refundedCents": .int(refundedCents),
            "creditsRefunded": .amount(creditsRefunded), "creditsUnrecovered": .amount(creditsUnrecovered),
            "failureReason": .optional(failureReason),
            "createdAt": .timestamp(millis: createdAtMillis), "updatedAt": .timestamp(millis: updatedAtMillis),
        ])
    }

    /// What a refund that brings the refunded total to `refundedCents` takes back, when the
    /// purchase's grant still holds `grantRemaining`.
    ///
    /// The credits owed back are the refunded share of the purchase's credits, computed on
    /// the running total (so that several partial refunds round exactly like one). Only
    /// credits of this purchase that are still unspent are taken; the rest were already
    /// spent and are recorded as unrecovered, because a wallet never goes below zero.
    /// - Returns: `nil` unless the total grows and stays within what was paid.
    public func refund(toTotalCents refundedCents: Int64, grantRemaining: Amount) -> (take: Amount, unrecovered: Amount)? {
        guard refundedCents > self.refundedCents,
              let owedBefore = CreditPackage.share(of: credits, refundedCents: self.refundedCents, priceCents: amountCents),
              let owedAfter = CreditPackage.share(of: credits, refundedCents: refundedCents, priceCents: amountCents) else { return nil }
        let owed = owedAfter - owedBefore
        let take = min(owed, grantRemaining)
        return (take, owed - take)
    }
}
