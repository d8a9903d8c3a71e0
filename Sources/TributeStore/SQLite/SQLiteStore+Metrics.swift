import GRDB

/// What `/metrics` reads of the SQLite store: a reader connection, never the writer, so that
/// a scrape waits for no batch.
extension SQLiteStore {
    public func openHoldCount() async throws -> Int {
        let statement = HoldRows.openCount(nowMillis: clock.nowMillis())
        return try await pool.read { db in Int(try db.one(statement) { try $0.int() } ?? 0) }
    }
}
