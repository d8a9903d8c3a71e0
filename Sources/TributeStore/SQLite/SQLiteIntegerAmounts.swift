import GRDB

/// Adds `CHECK (typeof(column) = 'integer')` to every column that holds an amount.
///
/// SQLite keeps whatever type a value has: an integer sum past `Int64` silently becomes a
/// float, which then reads back wrong or not at all. The checks make such a write fail, so
/// a stored amount is always an exact integer. SQLite cannot add a CHECK to a table, so
/// each table is rebuilt with its own definition plus the checks, its rows copied, and its
/// indexes made again (SQLite's documented way to change a table's constraints).
enum SQLiteIntegerAmounts {
    /// Tables and their amount columns; `nullable` ones may also be NULL.
    static let columns: [(table: String, columns: [String], nullable: [String])] = [
        ("plans", ["monthly_allowance_micros", "overage_rate_micros", "price_cents"], []),
        ("action_types", ["base_cost_micros"], []),
        ("action_cost_versions", ["base_cost_micros"], []),
        ("workspaces", ["period_used_micros"], ["low_balance_threshold_micros"]),
        ("accounts", ["balance_micros"], []),
        ("postings", ["amount_micros"], []),
        ("credit_grants", ["amount_micros", "remaining_micros"], []),
        ("budgets", ["limit_micros", "used_micros"], []),
        ("decisions", ["actions_charged_micros", "from_allowance_micros", "debit_micros"], []),
        ("credit_packages", ["credits_micros", "price_cents"], []),
        ("purchases", ["credits_micros", "amount_cents", "refunded_cents", "credits_refunded_micros", "credits_unrecovered_micros"], []),
    ]

    /// Runs inside the migration's transaction, with foreign keys checked at its end.
    static func migrate(_ db: Database) throws {
        for entry in columns {
            let checks = entry.columns.map { "CHECK (typeof(\($0)) = 'integer')" }
                + entry.nullable.map { "CHECK (typeof(\($0)) IN ('integer', 'null'))" }
            try rebuild(db, table: entry.table, adding: checks)
        }
    }

    private static func rebuild(_ db: Database, table: String, adding checks: [String]) throws {
        guard let definition = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", arguments: [table]),
              let open = definition.firstIndex(of: "("), let close = definition.lastIndex(of: ")") else {
            throw DatabaseError(message: "no table \(table) to rebuild")
        }
        let others = try String.fetchAll(
            db, sql: "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = ? AND sql IS NOT NULL", arguments: [table])
        let body = definition[open..<close] + ",\n    " + checks.joined(separator: ",\n    ") + definition[close...]
        let rebuilt = "tribute_rebuild_" + table
        try db.execute(sql: "CREATE TABLE \(rebuilt) " + body)
        try db.execute(sql: "INSERT INTO \(rebuilt) SELECT * FROM \(table)")
        try db.execute(sql: "DROP TABLE \(table)")
        try db.execute(sql: "ALTER TABLE \(rebuilt) RENAME TO \(table)")
        for statement in others { try db.execute(sql: statement) }
    }
}
