import TributeCore

/// The writes to a grant both stores share.
enum GrantRows {
    /// Ends a grant now (`PaymentStep.Effect.closesGrant`): an earlier expiry stays.
    static func close(grantId: String, nowMillis: Int64) -> StoreStatement {
        StoreStatement("UPDATE credit_grants SET expires_at = ? WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)",
                       [.int(nowMillis), .text(grantId), .int(nowMillis)])
    }
}
