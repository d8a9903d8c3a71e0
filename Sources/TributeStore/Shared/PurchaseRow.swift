import TributeCore

/// The `purchases` table as both stores read and write it.
enum PurchaseRow {
    /// The columns `purchase` reads, in its order.
    static let columns = """
        id, workspace_id, package_id, credits_micros, amount_cents, currency, status, payment_intent_id, refunded_cents, \
        credits_refunded_micros, credits_unrecovered_micros, grant_id, failure_reason, created_at, updated_at
        """

    /// A purchase from a row of `columns`.
    /// - Throws: `StoreFault.unknownValue` for a status Tribute never writes.
    static func purchase(_ columns: inout some ColumnReader) throws -> Purchase {
        Purchase(
            id: try columns.text(), workspaceId: try columns.text(), packageId: try columns.text(), credits: try columns.amount(),
            amountCents: try columns.int(), currency: try columns.text(), status: try columns.value(PurchaseStatus.self, column: "purchases.status"),
            paymentIntentId: try columns.optionalText(), refundedCents: try columns.int(), creditsRefunded: try columns.amount(),
            creditsUnrecovered: try columns.amount(), grantId: try columns.optionalText(), failureReason: try columns.optionalText(),
            createdAtMillis: try columns.int(), updatedAtMillis: try columns.int())
    }

    /// A purchase with its order number, from a row of `seq` and `columns`.
    static func numbered(_ columns: inout some ColumnReader) throws -> (seq: Int64, item: Purchase) {
        (try columns.int(), try purchase(&columns))
    }

    /// The purchase `id`.
    static func byId(_ id: String) -> StoreStatement {
        StoreStatement("SELECT \(columns) FROM purchases WHERE id = ?", [.text(id)])
    }

    /// The purchase paid through the PaymentIntent `paymentIntentId`.
    static func byPaymentIntent(_ paymentIntentId: String) -> StoreStatement {
        StoreStatement("SELECT \(columns) FROM purchases WHERE payment_intent_id = ?", [.text(paymentIntentId)])
    }

    /// A page of the workspace's purchases, newest first, before `beforeSeq`, as `numbered`
    /// reads them: `limit + 1` rows, so that the page knows whether another follows.
    static func page(workspaceId: String, beforeSeq: Int64, limit: Int) -> StoreStatement {
        StoreStatement(
            "SELECT seq, \(columns) FROM purchases WHERE workspace_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
            [.text(workspaceId), .int(beforeSeq), .int(Int64(limit) + 1)])
    }

    /// A pending purchase of `package` opened now, and its row.
    static func open(workspaceId: String, package: CreditPackage, nowMillis: Int64) -> (Purchase, insert: StoreStatement) {
        let purchase = Purchase(id: Identifier.make("pur"), workspaceId: workspaceId, package: package, atMillis: nowMillis)
        return (purchase, insert(purchase))
    }

    /// The row of a new pending purchase.
    private static func insert(_ purchase: Purchase) -> StoreStatement {
        StoreStatement("""
            INSERT INTO purchases (id, workspace_id, package_id, credits_micros, amount_cents, currency, status, refunded_cents,
                credits_refunded_micros, credits_unrecovered_micros, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, 0, 0, ?, ?)
            """, [
                .text(purchase.id), .text(purchase.workspaceId), .text(purchase.packageId), .int(purchase.credits.micros), .int(purchase.amountCents),
                .text(purchase.currency), .int(purchase.createdAtMillis), .int(purchase.createdAtMillis),
            ])
    }

    /// The pending purchase of an auto top-up attempt (`AutoTopupSteps.size`): it takes the
    /// attempt's id, so that the payment's webhook finds the attempt from the purchase, and
    /// `sizing.packages` of `package` in one charge.
    static func open(attemptId: String, workspaceId: String, package: CreditPackage, sizing: AutoTopup.Sizing, nowMillis: Int64) -> (Purchase, insert: StoreStatement) {
        var purchase = Purchase(id: attemptId, workspaceId: workspaceId, package: package, atMillis: nowMillis)
        purchase.credits = sizing.credits
        purchase.amountCents = sizing.cents
        return (purchase, insert(purchase))
    }

    /// Records the PaymentIntent made for a purchase that has none yet.
    static func attach(paymentIntentId: String, toPurchase purchaseId: String, nowMillis: Int64) -> StoreStatement {
        StoreStatement(
            "UPDATE purchases SET payment_intent_id = ?, updated_at = ? WHERE id = ? AND payment_intent_id IS NULL",
            [.text(paymentIntentId), .int(nowMillis), .text(purchaseId)])
    }

    /// Marks a pending purchase failed, with the first 500 characters of `reason`.
    static func fail(purchaseId: String, reason: String, nowMillis: Int64) -> StoreStatement {
        StoreStatement(
            "UPDATE purchases SET status = 'failed', failure_reason = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
            [.text(String(reason.prefix(500))), .int(nowMillis), .text(purchaseId)])
    }

    /// Stores what a payment event made of a purchase, with the grant its credits went to.
    static func update(_ purchase: Purchase, grantId: String?) -> StoreStatement {
        StoreStatement("""
            UPDATE purchases SET status = ?, refunded_cents = ?, credits_refunded_micros = ?, credits_unrecovered_micros = ?,
                grant_id = ?, failure_reason = ?, updated_at = ? WHERE id = ?
            """, [
                .text(purchase.status.rawValue), .int(purchase.refundedCents), .int(purchase.creditsRefunded.micros),
                .int(purchase.creditsUnrecovered.micros), .text(grantId), .text(purchase.failureReason), .int(purchase.updatedAtMillis),
                .text(purchase.id),
            ])
    }
}
