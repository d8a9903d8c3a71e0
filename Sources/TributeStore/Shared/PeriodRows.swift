import TributeCore

/// The period sweep's read on both stores.
enum PeriodRows {
    /// Workspaces whose stored period has ended, or whose soonest grant expiry has passed,
    /// by `nowMillis`: a scan of `workspaces`, no index. The sweeper runs it once a minute,
    /// and an index on either column would be rewritten by every batch that writes the
    /// workspace row.
    static func due(nowMillis: Int64, limit: Int) -> StoreStatement {
        StoreStatement("SELECT id FROM workspaces WHERE period_end <= ? OR next_expiry_at <= ? ORDER BY id LIMIT ?",
                       [.int(nowMillis / 1000), .int(nowMillis), .int(Int64(limit))])
    }
}
