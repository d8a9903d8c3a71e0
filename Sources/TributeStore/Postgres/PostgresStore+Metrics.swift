import PostgresNIO

/// What `/metrics` reads of the PostgreSQL store: one pooled read, under the store's deadline.
extension PostgresStore {
    public func openHoldCount() async throws -> Int {
        let statement = HoldRows.openCount(nowMillis: clock.nowMillis())
        return try await read { connection in Int(try await connection.one(statement) { try $0.int() } ?? 0) }
    }
}
