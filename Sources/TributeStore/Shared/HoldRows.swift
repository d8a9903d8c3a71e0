import TributeCore

/// The `holds` table (SPEC §3.1) as both stores read and write it. What a hold still holds
/// per grant (`draws`) and per budget (`budgets`) is kept as compact JSON text: read back
/// only when the hold moves.
enum HoldRows {
    /// The columns `record` reads, in its order (after `seq`, for `numbered`).
    static let columns = """
        id, workspace_id, status, action_type, user_id, agent_id, run_id, cost_version, base_cost_micros, overage_rate_micros,
        held_actions_micros, held_allowance_micros, held_credits_micros, committed_actions_micros, committed_credits_micros,
        draws, budgets, period_start, created_at, expires_at, token_rates
        """

    /// A hold from a row of `columns`.
    /// - Throws: `StoreFault.unknownValue` for a status, draw or reservation Tribute never writes.
    static func record(_ columns: inout some ColumnReader) throws -> HoldRecord {
        let id = try columns.text(), workspaceId = try columns.text()
        let status = try columns.value(HoldRecord.Status.self, column: "holds.status")
        let actionType = try columns.text(), userId = try columns.optionalText(), agentId = try columns.optionalText(), runId = try columns.optionalText()
        let costVersion = try columns.int(), baseCost = try columns.amount(), overageRate = try columns.amount()
        let heldActions = try columns.amount(), heldAllowance = try columns.amount(), heldCredits = try columns.amount()
        let committedActions = try columns.amount(), committedCredits = try columns.amount()
        let draws = try decodeDraws(try columns.text()), budgets = try decodeBudgets(try columns.text())
        var hold = HoldRecord(
            id: id, workspaceId: workspaceId, actionType: actionType, userId: userId, agentId: agentId, runId: runId, costVersion: costVersion,
            baseCost: baseCost, overageRate: overageRate, heldActions: heldActions, heldAllowance: heldAllowance, heldCredits: heldCredits,
            draws: draws, budgets: budgets, periodStart: try columns.int(), createdAtMillis: try columns.int(), expiresAtMillis: try columns.int(),
            tokenRates: try ActionCostRows.tokenRates(try columns.optionalText()))
        hold.status = status
        hold.committedActions = committedActions
        hold.committedCredits = committedCredits
        return hold
    }

    /// A hold with its order number, from a row of `seq` and `columns`.
    static func numbered(_ columns: inout some ColumnReader) throws -> (seq: Int64, item: HoldRecord) {
        (try columns.int(), try record(&columns))
    }

    /// Writes a hold as the kernel left it: created, or moved (every column a step changes).
    static func upsert(_ hold: HoldRecord, atMillis: Int64) -> StoreStatement {
        StoreStatement(upsertSQL, values(hold) + [.int(atMillis)])
    }

    /// The text of `upsert`: `values` and the time bind it.
    static let upsertSQL = """
        INSERT INTO holds (\(columns), updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (id) DO UPDATE SET status = excluded.status, held_actions_micros = excluded.held_actions_micros,
            held_allowance_micros = excluded.held_allowance_micros, held_credits_micros = excluded.held_credits_micros,
            committed_actions_micros = excluded.committed_actions_micros, committed_credits_micros = excluded.committed_credits_micros,
            draws = excluded.draws, budgets = excluded.budgets, expires_at = excluded.expires_at, updated_at = excluded.updated_at
        """

    /// A stored hold moved by a step: every column a step changes, as `changedValues` binds them.
    static let updateSQL = """
        UPDATE holds SET status = ?, held_actions_micros = ?, held_allowance_micros = ?, held_credits_micros = ?, committed_actions_micros = ?,
            committed_credits_micros = ?, draws = ?, budgets = ?, expires_at = ?, updated_at = ? WHERE id = ?
        """

    /// The values `updateSQL` binds, in order.
    static func changedValues(_ hold: HoldRecord, atMillis: Int64) -> [StoreValue] {
        [
            .text(hold.status.rawValue), .int(hold.heldActions.micros), .int(hold.heldAllowance.micros), .int(hold.heldCredits.micros),
            .int(hold.committedActions.micros), .int(hold.committedCredits.micros), .text(encode(hold.draws)), .text(encode(hold.budgets)),
            .int(hold.expiresAtMillis), .int(atMillis), .text(hold.id),
        ]
    }

    /// The values of `columns` for `hold`, in order.
    static func values(_ hold: HoldRecord) -> [StoreValue] {
        [
            .text(hold.id), .text(hold.workspaceId), .text(hold.status.rawValue), .text(hold.actionType), .text(hold.userId), .text(hold.agentId),
            .text(hold.runId), .int(hold.costVersion), .int(hold.baseCost.micros), .int(hold.overageRate.micros), .int(hold.heldActions.micros),
            .int(hold.heldAllowance.micros), .int(hold.heldCredits.micros), .int(hold.committedActions.micros), .int(hold.committedCredits.micros),
            .text(encode(hold.draws)), .text(encode(hold.budgets)), .int(hold.periodStart), .int(hold.createdAtMillis), .int(hold.expiresAtMillis),
            .text(hold.tokenRates?.stored),
        ]
    }

    /// When the hold a commit's explanation names was made, for the window its budget use
    /// counted in (`Kernel.Charge.heldAtMillis`).
    static func createdAt(of decision: DecisionRecord) -> StoreStatement? {
        guard decision.kind == .commit, let holdId = decision.chargeExplanation?.hold else { return nil }
        return StoreStatement("SELECT created_at FROM holds WHERE id = ?", [.text(holdId)])
    }

    static func createdAt(_ columns: inout some ColumnReader) throws -> Int64 { try columns.int() }

    /// One hold by id.
    static func one(id: String) -> StoreStatement {
        StoreStatement("SELECT \(columns) FROM holds WHERE id = ?", [.text(id)])
    }

    /// A page of the workspace's holds, newest first, before `beforeSeq`, of one status
    /// when given, as `numbered` reads them: `limit + 1` rows. The status is the one a read
    /// shows at `nowMillis` (`HoldRecord.seen`): an open hold whose time ran out is listed as
    /// expired, not open, whether or not its expiry is written yet.
    static func page(workspaceId: String, status: HoldRecord.Status?, nowMillis: Int64, beforeSeq: Int64, limit: Int) -> StoreStatement {
        var statement = StoreStatement("SELECT seq, \(columns) FROM holds WHERE workspace_id = ? AND seq < ?", [.text(workspaceId), .int(beforeSeq)])
        switch status {
        case nil: break
        case .open?:
            statement.sql += " AND status = 'open' AND expires_at > ?"
            statement.values.append(.int(nowMillis))
        case .expired?:
            statement.sql += " AND (status = 'expired' OR (status = 'open' AND expires_at <= ?))"
            statement.values.append(.int(nowMillis))
        case let other?:
            statement.sql += " AND status = ?"
            statement.values.append(.text(other.rawValue))
        }
        statement.sql += " ORDER BY seq DESC LIMIT ?"
        statement.values.append(.int(Int64(limit) + 1))
        return statement
    }

    static var settleBound: Int { HoldRecord.settleBound }

    /// The workspace's open holds as `Kernel.settleExpiredHolds` wants them: those whose
    /// time ran out at `nowMillis` (at most `settleBound`), then the first that has not,
    /// in expiry order.
    static func expiring(workspaceId: String, nowMillis: Int64) -> StoreStatement {
        StoreStatement("""
            SELECT \(columns) FROM (SELECT \(columns) FROM holds WHERE workspace_id = ? AND status = 'open' AND expires_at <= ? ORDER BY expires_at, id LIMIT ?) AS due
            UNION ALL
            SELECT \(columns) FROM (SELECT \(columns) FROM holds WHERE workspace_id = ? AND status = 'open' AND expires_at > ? ORDER BY expires_at, id LIMIT 1) AS next
            ORDER BY expires_at, id
            """, [.text(workspaceId), .int(nowMillis), .int(Int64(settleBound)), .text(workspaceId), .int(nowMillis)])
    }

    /// The workspaces with an open hold whose time ran out at `nowMillis`: the sweeper's work.
    static func dueWorkspaces(nowMillis: Int64, limit: Int) -> StoreStatement {
        StoreStatement("SELECT DISTINCT workspace_id FROM holds WHERE status = 'open' AND expires_at <= ? ORDER BY workspace_id LIMIT ?",
                       [.int(nowMillis), .int(Int64(limit))])
    }

    /// Each workspace's allowance and credits held by its open holds, for `ledger verify`.
    static let openSums = StoreStatement("""
        SELECT workspace_id, SUM(held_allowance_micros), SUM(held_credits_micros) FROM holds WHERE status = 'open' GROUP BY workspace_id ORDER BY workspace_id
        """)

    /// The grants the holds drew from, for loaders that must include used-up ones.
    static func drawnGrantIds(_ holds: [HoldRecord]) -> [String] {
        var ids: [String] = []
        for hold in holds { for draw in hold.draws where !ids.contains(draw.grantId) { ids.append(draw.grantId) } }
        return ids
    }

    /// `[[grant id, micros], …]`: written without building a dictionary, since every hold
    /// and every commit writes it on the writer's thread.
    static func encode(_ draws: [GrantDraw]) -> String {
        var output = ""
        GrantDraw.write(draws, to: &output)
        return output
    }

    /// `[[scope, unit, reserved micros], …]`.
    static func encode(_ budgets: [HoldRecord.BudgetReservation]) -> String {
        var output = "["
        for (index, budget) in budgets.enumerated() {
            output += index == 0 ? "[" : ",["
            JSON.writeString(budget.scope.description, to: &output)
            output += ","
            JSON.writeString(budget.unit.rawValue, to: &output)
            output += ","
            output += String(budget.reserved.micros)
            output += "]"
        }
        output += "]"
        return output
    }

    static func decodeDraws(_ text: String) throws -> [GrantDraw] {
        try items(text, column: "holds.draws").map { fields in
            guard fields.count == 2, let grantId = fields[0].stringValue, let micros = fields[1].int64Value else { throw StoreFault.unknownValue("holds.draws", text) }
            return GrantDraw(grantId: grantId, amount: Amount(micros: micros))
        }
    }

    static func decodeBudgets(_ text: String) throws -> [HoldRecord.BudgetReservation] {
        try items(text, column: "holds.budgets").map { fields in
            guard fields.count == 3, let scope = fields[0].stringValue.flatMap(BudgetScope.init(parsing:)),
                  let unit = fields[1].stringValue.flatMap(BudgetUnit.init(rawValue:)), let micros = fields[2].int64Value else {
                throw StoreFault.unknownValue("holds.budgets", text)
            }
            return HoldRecord.BudgetReservation(scope: scope, unit: unit, reserved: Amount(micros: micros))
        }
    }

    /// The arrays of an array of arrays.
    private static func items(_ text: String, column: String) throws -> [[JSON]] {
        guard let list = try? JSON.parse(Array(text.utf8)), case .array(let items) = list else { throw StoreFault.unknownValue(column, text) }
        return try items.map { item in
            guard case .array(let fields) = item else { throw StoreFault.unknownValue(column, text) }
            return fields
        }
    }
}
