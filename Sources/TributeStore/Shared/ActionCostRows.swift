import TributeCore

/// The `action_types` and `action_cost_versions` tables as both stores read and write them.
///
/// Setting a cost is the same steps on both: create the type if it is new
/// (`createIfAbsent`), read its version (`current`, which PostgreSQL locks), and write the
/// next one (`versionAfter`, `writes`).
enum ActionCostRows {
    /// The current cost of every action type, by type.
    static let all = StoreStatement("SELECT action_type, base_cost_micros, token_rates, version, updated_at FROM action_types ORDER BY action_type")

    /// The current cost of one action type, as `cost` reads it.
    static func currentCost(of actionType: String) -> StoreStatement {
        StoreStatement("SELECT action_type, base_cost_micros, token_rates, version, updated_at FROM action_types WHERE action_type = ?", [.text(actionType)])
    }

    /// Every version of a type's cost, newest first.
    static func history(actionType: String) -> StoreStatement {
        StoreStatement(
            "SELECT action_type, base_cost_micros, token_rates, version, created_at FROM action_cost_versions WHERE action_type = ? ORDER BY version DESC",
            [.text(actionType)])
    }

    /// A cost from a row of (action type, base cost, token rates, version, time).
    static func cost(_ columns: inout some ColumnReader) throws -> ActionCost {
        ActionCost(actionType: try columns.text(), baseCost: try columns.amount(), tokenRates: try tokenRates(try columns.optionalText()),
                   version: try columns.int(), updatedAt: try columns.int())
    }

    /// Stored token rates (`TokenRates.stored`), `nil` for an action priced per call.
    /// - Throws: `StoreFault.unknownValue` for text Tribute never writes.
    static func tokenRates(_ text: String?) throws -> TokenRates? {
        guard let text else { return nil }
        guard let rates = TokenRates(stored: text) else { throw StoreFault.unknownValue("token_rates", text) }
        return rates
    }

    /// Creates the type at version 1 unless it exists (a concurrent creator wins once).
    static func createIfAbsent(_ cost: ActionCost, nowMillis: Int64) -> StoreStatement {
        StoreStatement("""
            INSERT INTO action_types (action_type, base_cost_micros, token_rates, version, updated_at) VALUES (?, ?, ?, 1, ?)
            ON CONFLICT (action_type) DO NOTHING
            """, [.text(cost.actionType), .int(cost.baseCost.micros), .text(cost.tokenRates?.stored), .int(nowMillis)])
    }

    /// The type's stored version and whether any version of it was recorded, as
    /// `stored` reads them.
    static func current(actionType: String) -> StoreStatement {
        StoreStatement(
            "SELECT version, EXISTS (SELECT 1 FROM action_cost_versions v WHERE v.action_type = t.action_type) FROM action_types t WHERE t.action_type = ?",
            [.text(actionType)])
    }

    static func stored(_ columns: inout some ColumnReader) throws -> (version: Int64, recorded: Bool) {
        (try columns.int(), try columns.bool())
    }

    /// The version a new cost gets: 1 for a type just created (no version recorded yet),
    /// else the one after the stored one.
    /// - Throws: `StoreFault.corruptAmount` for a stored version at `Int64.max`.
    static func versionAfter(_ stored: (version: Int64, recorded: Bool)?) throws -> Int64 {
        guard let stored, stored.recorded else { return 1 }
        let (next, overflow) = stored.version.addingReportingOverflow(1)
        guard !overflow else { throw StoreFault.corruptAmount("action_types.version") }
        return next
    }

    /// Makes `cost` the type's current cost and records it among its versions.
    static func writes(_ cost: ActionCost) -> [StoreStatement] {
        [
            StoreStatement(
                "UPDATE action_types SET base_cost_micros = ?, token_rates = ?, version = ?, updated_at = ? WHERE action_type = ?",
                [.int(cost.baseCost.micros), .text(cost.tokenRates?.stored), .int(cost.version), .int(cost.updatedAt), .text(cost.actionType)]),
            StoreStatement(
                "INSERT INTO action_cost_versions (action_type, version, base_cost_micros, token_rates, created_at) VALUES (?, ?, ?, ?, ?)",
                [.text(cost.actionType), .int(cost.version), .int(cost.baseCost.micros), .text(cost.tokenRates?.stored), .int(cost.updatedAt)]),
        ]
    }
}
