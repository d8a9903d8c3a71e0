import TributeCore

/// The period sweep's read on both stores.
enum PeriodRows {
    /// Workspaces whose stored period has ended by `nowMillis`. A scan of `workspaces`, no
    /// index: the sweeper runs it once a minute, and an index on `period_end` would be
    /// rewritten by every batch that writes the workspace row.
    static func ended(nowMillis: Int64, limit: Int) -> StoreStatement {
        StoreStatement("SELECT id FROM workspaces WHERE period_end <= ? ORDER BY id LIMIT ?", [.int(nowMillis / 1000), .int(Int64(limit))])
    }
}
