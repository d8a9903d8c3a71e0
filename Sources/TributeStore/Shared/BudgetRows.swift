import TributeCore

/// The `budgets` table as both stores read and write it outside the authorize path.
enum BudgetRows {
    /// The columns `stored` reads, in its order.
    static let columns = "scope, limit_micros, unit, period, used_micros, period_start"

    /// The workspace's budget of `scope`, if it has one.
    static func one(workspaceId: String, scope: BudgetScope) -> StoreStatement {
        StoreStatement("SELECT \(columns) FROM budgets WHERE workspace_id = ? AND scope = ?", [.text(workspaceId), .text(scope.description)])
    }

    /// Every budget of the workspace, by scope.
    static func all(workspaceId: String) -> StoreStatement {
        StoreStatement("SELECT \(columns) FROM budgets WHERE workspace_id = ? ORDER BY scope", [.text(workspaceId)])
    }

    /// A budget from a row of `columns`.
    /// - Throws: `StoreFault.unknownValue` for a scope, unit or period Tribute never writes.
    static func stored(_ columns: inout some ColumnReader) throws -> StoredBudget {
        try stored(
            scope: try columns.text(), limitMicros: try columns.int(), unit: try columns.text(), period: try columns.text(),
            usedMicros: try columns.int(), periodStart: try columns.int())
    }

    /// A budget from its columns' values.
    /// - Throws: `StoreFault.unknownValue` for a scope, unit or period Tribute never writes.
    static func stored(scope: String, limitMicros: Int64, unit: String, period: String, usedMicros: Int64, periodStart: Int64) throws -> StoredBudget {
        guard let parsedScope = BudgetScope(parsing: scope) else { throw StoreFault.unknownValue("budgets.scope", scope) }
        let budget = Budget(
            scope: parsedScope, limit: Amount(micros: limitMicros), unit: try storedValue(BudgetUnit.self, unit, column: "budgets.unit"),
            period: try storedValue(BudgetPeriod.self, period, column: "budgets.period"), used: Amount(micros: usedMicros))
        return StoredBudget(budget: budget, periodStart: periodStart)
    }

    /// A budget set anew over `existing` (as it stands this period): what it has used is
    /// kept while the unit stays the same, since a count of actions is no count of credits.
    static func replacing(_ existing: Budget?, scope: BudgetScope, limit: Amount, unit: BudgetUnit, period: BudgetPeriod) -> Budget {
        let used = existing.flatMap { $0.unit == unit ? $0.used : nil } ?? .zero
        return Budget(scope: scope, limit: limit, unit: unit, period: period, used: used)
    }

    /// Creates or replaces the workspace's budget of `budget.scope`, counted in the period
    /// starting at `periodStart`.
    static func put(workspaceId: String, _ budget: Budget, periodStart: Int64, nowMillis: Int64) -> StoreStatement {
        StoreStatement("""
            INSERT INTO budgets (workspace_id, scope, limit_micros, unit, period, used_micros, period_start, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (workspace_id, scope) DO UPDATE SET limit_micros = excluded.limit_micros, unit = excluded.unit,
                period = excluded.period, used_micros = excluded.used_micros, period_start = excluded.period_start
            """, [
                .text(workspaceId), .text(budget.scope.description), .int(budget.limit.micros), .text(budget.unit.rawValue),
                .text(budget.period.rawValue), .int(budget.used.micros), .int(periodStart), .int(nowMillis),
            ])
    }

    /// Deletes the workspace's budget of `scope`; it changes no row when there is none.
    static func delete(workspaceId: String, scope: BudgetScope) -> StoreStatement {
        StoreStatement("DELETE FROM budgets WHERE workspace_id = ? AND scope = ?", [.text(workspaceId), .text(scope.description)])
    }
}

extension BudgetRows {
    /// When each budget of the workspace was created: what a reversal checks its budgets by.
    static func createdAt(workspaceId: String) -> StoreStatement {
        StoreStatement("SELECT scope, created_at FROM budgets WHERE workspace_id = ?", [.text(workspaceId)])
    }

    static func createdAt(_ columns: inout some ColumnReader) throws -> (scope: String, createdAtMillis: Int64) {
        (try columns.text(), try columns.int())
    }

    /// `budgets` with the creation times `rows` read.
    static func dated(_ budgets: [StoredBudget], _ rows: [(scope: String, createdAtMillis: Int64)]) -> [StoredBudget] {
        let created = Dictionary(rows.map { ($0.scope, $0.createdAtMillis) }, uniquingKeysWith: { first, _ in first })
        return budgets.map { budget in
            var dated = budget
            dated.createdAtMillis = created[budget.budget.scope.description]
            return dated
        }
    }
}
