import TributeCore

/// The `purchases` table's columns, read the same way by both stores.
enum PurchaseRow {
    static let columns = """
        id, workspace_id, package_id, credits_micros, amount_cents, currency, status, payment_intent_id, refunded_cents, \
        credits_refunded_micros, credits_unrecovered_micros, grant_id, failure_reason, created_at, updated_at
        """

    struct Values {
        var id: String
        var workspaceId: String
        var packageId: String
        var creditsMicros: Int64
        var amountCents: Int64
        var currency: String
        var status: String
        var paymentIntentId: String?
        var refundedCents: Int64
        var creditsRefundedMicros: Int64
        var creditsUnrecoveredMicros: Int64
        var grantId: String?
        var failureReason: String?
        var createdAt: Int64
        var updatedAt: Int64
    }

    static func purchase(_ values: Values) -> Purchase {
        Purchase(
            id: values.id, workspaceId: values.workspaceId, packageId: values.packageId, credits: Amount(micros: values.creditsMicros),
            amountCents: values.amountCents, currency: values.currency, status: PurchaseStatus(rawValue: values.status) ?? .failed,
            paymentIntentId: values.paymentIntentId, refundedCents: values.refundedCents, creditsRefunded: Amount(micros: values.creditsRefundedMicros),
            creditsUnrecovered: Amount(micros: values.creditsUnrecoveredMicros), grantId: values.grantId, failureReason: values.failureReason,
            createdAtMillis: values.createdAt, updatedAtMillis: values.updatedAt)
    }
}
