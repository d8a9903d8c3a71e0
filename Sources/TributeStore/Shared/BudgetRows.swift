import Foundation
import TributeCore

/// How the pages of a workspace's budgets are named.
public enum BudgetPages {
    /// The longest cursor a page of budgets gives: base64url of the longest scope (206
    /// bytes, 275 characters), with room to spare. Other lists' cursors are numbers.
    public static let maxCursorBytes = 300
}

/// The `budgets` table as both stores read and write it outside the authorize path.
enum BudgetRows {
    /// The columns `stored` reads, in its order.
    static let columns = "scope, limit_micros, unit, period, used_micros, period_start"

    /// The workspace's budget of `scope`, if it has one.
    static func one(workspaceId: String, scope: BudgetScope) -> StoreStatement {
        StoreStatement("SELECT \(columns) FROM budgets WHERE workspace_id = ? AND scope = ?", [.text(workspaceId), .text(scope.description)])
    }

    /// Up to `limit` budgets of the workspace after the scope `after` (from the first when
    /// `nil`), by scope: the primary key's order, so a page reads only its own rows.
    static func page(workspaceId: String, after: String?, limit: Int) -> StoreStatement {
        guard let after else {
            return StoreStatement("SELECT \(columns) FROM budgets WHERE workspace_id = ? ORDER BY scope LIMIT ?", [.text(workspaceId), .int(Int64(limit))])
        }
        return StoreStatement(
            "SELECT \(columns) FROM budgets WHERE workspace_id = ? AND scope > ? ORDER BY scope LIMIT ?",
            [.text(workspaceId), .text(after), .int(Int64(limit))])
    }

    /// How many budgets the workspace has, counting no further than `limit`: enough to know
    /// whether it is at a cap of `limit`, by the primary key alone.
    static func count(workspaceId: String, upTo limit: Int) -> StoreStatement {
        StoreStatement(
            "SELECT COUNT(*) FROM (SELECT 1 FROM budgets WHERE workspace_id = ? LIMIT ?) AS counted",
            [.text(workspaceId), .int(Int64(limit))])
    }

    static func count(_ columns: inout some ColumnReader) throws -> Int { Int(try columns.int()) }

    /// Refuses a new budget of a workspace that has `count` (of at most `maxBudgets`) already.
    /// - Parameter existing: the budget of the scope as stored; new terms for it are always allowed.
    /// - Throws: `tooManyBudgets`.
    static func checkRoom(existing: StoredBudget?, count: Int, maxBudgets: Int) throws {
        guard existing == nil, count >= maxBudgets else { return }
        throw TributeError.tooManyBudgets(max: maxBudgets)
    }

    /// A page of budgets as read by `page` with one row more than `limit`: the cursor of the
    /// next page names the last budget shown.
    static func page(_ rows: [StoredBudget], limit: Int, billing: BillingPeriod, nowMillis: Int64) -> Page<BudgetView> {
        let shown = rows.prefix(limit)
        let next = rows.count > limit ? shown.last.map { cursor(after: $0.budget.scope.description) } : nil
        return Page(items: shown.map { BudgetView($0, billing: billing, nowMillis: nowMillis) }, nextCursor: next)
    }

    /// The cursor of the page after `scope`: the scope's UTF-8 in base64url without padding,
    /// so that any scope (up to 206 bytes, so 275 characters) travels in a query string as is.
    static func cursor(after scope: String) -> String {
        Data(scope.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The scope a cursor of `cursor(after:)` names; `nil` for no cursor.
    /// - Throws: `invalidValue` for anything no page gave.
    static func scope(cursor: String?) throws -> String? {
        guard let cursor else { return nil }
        let refused = TributeError.invalidValue("cursor is not one this service gave")
        guard cursor.utf8.count <= BudgetPages.maxCursorBytes, !cursor.isEmpty,
              cursor.utf8.allSatisfy({ $0 == 45 || $0 == 95 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) })
        else { throw refused }
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        guard let bytes = Data(base64Encoded: base64), let scope = String(bytes: bytes, encoding: .utf8),
              BudgetScope(parsing: scope)?.description == scope else { throw refused }
        return scope
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

    /// A budget set anew over `existing` (as it stands in its window): what it has used is
    /// kept while the unit and the period stay the same, since a count of actions is no count
    /// of credits, and a month's use no day's.
    static func replacing(_ existing: Budget?, scope: BudgetScope, limit: Amount, unit: BudgetUnit, period: BudgetPeriod) -> Budget {
        // Use is kept for the same unit and window; in another window it is no count at all.
        let used = existing.flatMap { $0.unit == unit && $0.period == period ? $0.used : nil } ?? .zero
        return Budget(scope: scope, limit: limit, unit: unit, period: period, used: used)
    }

    /// `budget` (from `replacing`) as stored now: in the window of `existing` when that is the
    /// same period and later than the clock's (`StoredBudget.using`), else in the clock's.
    static func stored(_ budget: Budget, over existing: StoredBudget?, billing: BillingPeriod, nowMillis: Int64) -> StoredBudget {
        guard let existing, existing.budget.period == budget.period else { return StoredBudget(using: budget, billing: billing, nowMillis: nowMillis) }
        return existing.using(budget, billing: billing, nowMillis: nowMillis)
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
