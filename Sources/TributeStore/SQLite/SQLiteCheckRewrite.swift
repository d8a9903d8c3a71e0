import GRDB

/// Rewrites a table's CHECK constraints in place, without rebuilding the table, where the
/// new text accepts exactly the rows the old one did: SQLite's documented procedure for a
/// schema change that leaves the stored rows as they are (`writable_schema`, then a new
/// `schema_version` so that every connection reads the schema again).
///
/// Why: SQLite (3.40) evaluates `x IN ('a', 'b', 'c', …)` of more than two values in a CHECK
/// by building a temporary index for each statement that inserts or updates a row. The
/// decisions' `kind` check alone cost 15,000 instructions per debit, a tenth of the writer's
/// time (docs/benchmarks.md); written as `x = 'a' OR x = 'b' OR …` it costs nothing
/// measurable.
enum SQLiteCheckRewrite {
    /// `CHECK (column IN ('a', 'b', …))` as the migrations wrote it, and its equivalent of
    /// equalities.
    static func equalities(column: String, values: [String]) -> (from: String, to: String) {
        let quoted = values.map { "'\($0)'" }
        return ("CHECK (\(column) IN (\(quoted.joined(separator: ", "))))",
                "CHECK (\(quoted.map { "\(column) = \($0)" }.joined(separator: " OR ")))")
    }

    /// Replaces `from` by `to` in the stored text of `table`; a table whose text does not
    /// hold `from` (already rewritten) is left alone. Runs inside the migration's transaction.
    static func rewrite(_ db: Database, table: String, _ change: (from: String, to: String)) throws {
        guard let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?", arguments: [table]),
              sql.contains(change.from) else { return }
        let version = try Int.fetchOne(db, sql: "PRAGMA schema_version") ?? 0
        try db.execute(sql: "PRAGMA writable_schema = ON")
        try db.execute(sql: "UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = ?",
                       arguments: [sql.replacingOccurrences(of: change.from, with: change.to), table])
        try db.execute(sql: "PRAGMA schema_version = \(version + 1)")
        try db.execute(sql: "PRAGMA writable_schema = OFF")
        db.clearSchemaCache()
    }
}
