extension HoldRows {
    /// How many holds are open and not yet past their expiry at `nowMillis`: a range scan of
    /// the partial index `holds_open_by_expiry`, which holds only open holds, so that the
    /// count costs what is open, not every hold ever made.
    static func openCount(nowMillis: Int64) -> StoreStatement {
        StoreStatement("SELECT COUNT(*) FROM holds WHERE status = 'open' AND expires_at > ?", [.int(nowMillis)])
    }
}
