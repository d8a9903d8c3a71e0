import GRDB
import TributeCore

extension SQLiteStore {
    public func transactions(workspaceId: String, limit: Int, cursor: String?) async throws -> Page<TransactionView> {
        let before = try listCursor(cursor) ?? Int64.max
        return try await pool.read { db in
            try SQLiteStore.requireWorkspace(db, workspaceId)
            let rows = try Row.fetchAll(db, sql: """
                SELECT seq, id, kind, created_at, decision_id FROM transactions
                WHERE workspace_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?
                """, arguments: [workspaceId, before, limit + 1])
            let page = Array(rows.prefix(limit))
            let postingStatement = try db.cachedStatement(sql: "SELECT account_id, unit, amount_micros FROM postings WHERE transaction_seq = ? ORDER BY rowid")
            let items = try page.map { row in
                let postings = try Row.fetchAll(postingStatement, arguments: [try row.decode(atIndex: 0) as Int64]).map { (account: try $0.decode(atIndex: 0) as String, unit: try $0.decode(atIndex: 1) as String, amount: Amount(micros: try $0.decode(atIndex: 2))) }
                return TransactionView(id: try row.decode(atIndex: 1), workspaceId: workspaceId, kind: try row.decode(atIndex: 2), createdAtMillis: try row.decode(atIndex: 3), decisionId: try row.decode(atIndex: 4), postings: postings)
            }
            return Page(items: items, nextCursor: rows.count > limit ? String(try rows[limit - 1].decode(Int64.self, atIndex: 0)) : nil)
        }
    }

    public func decisions(workspaceId: String, limit: Int, cursor: String?, approved: Bool?) async throws -> Page<DecisionRecord> {
        let before = try listCursor(cursor) ?? Int64.max
        return try await pool.read { db in
            try SQLiteStore.requireWorkspace(db, workspaceId)
            var sql = "SELECT seq, \(SQLiteStore.decisionColumns) FROM decisions WHERE workspace_id = ? AND seq < ?"
            var arguments: StatementArguments = [workspaceId, before]
            if let approved {
                sql += " AND success = ?"
                arguments += [approved]
            }
            sql += " ORDER BY seq DESC LIMIT ?"
            arguments += [limit + 1]
            let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
            let page = Array(rows.prefix(limit))
            return Page(items: try page.map { try SQLiteStore.decision(from: $0, offset: 1) }, nextCursor: rows.count > limit ? String(try rows[limit - 1].decode(Int64.self, atIndex: 0)) : nil)
        }
    }

    static let decisionColumns = """
        id, workspace_id, created_at, action_type, reason, actions_charged_micros, from_allowance_micros, debit_micros,
        user_id, agent_id, run_id, cost_version, context, transaction_id
        """

    static func decision(from row: Row, offset: Int) throws -> DecisionRecord {
        DecisionRecord(
            id: try row.decode(atIndex: offset), workspaceId: try row.decode(atIndex: offset + 1), createdAtMillis: try row.decode(atIndex: offset + 2), actionType: try row.decode(atIndex: offset + 3),
            reason: DecisionReason(rawValue: try row.decode(atIndex: offset + 4)) ?? .insufficientBalance,
            actionsCharged: Amount(micros: try row.decode(atIndex: offset + 5)), fromAllowance: Amount(micros: try row.decode(atIndex: offset + 6)), creditsDebited: Amount(micros: try row.decode(atIndex: offset + 7)),
            userId: try row.decode(atIndex: offset + 8), agentId: try row.decode(atIndex: offset + 9), runId: try row.decode(atIndex: offset + 10), costVersion: try row.decode(atIndex: offset + 11),
            context: try row.decode(atIndex: offset + 12), transactionId: try row.decode(atIndex: offset + 13))
    }

    public func usage(workspaceId: String, fromMillis: Int64, toMillis: Int64) async throws -> UsageReport {
        let nowMillis = clock.nowMillis()
        return try await pool.read { db in
            let workspace = try SQLiteStore.view(db, id: workspaceId, nowMillis: nowMillis)
            let range: StatementArguments = [workspaceId, fromMillis, toMillis]
            let window = "FROM decisions WHERE workspace_id = ? AND created_at >= ? AND created_at < ? AND success = 1"
            var byType: [String: UsageReport.Bucket] = [:]
            var totalActions = Amount.zero, totalCredits = Amount.zero
            for row in try Row.fetchAll(db, sql: "SELECT action_type, COUNT(*), SUM(actions_charged_micros), SUM(debit_micros) \(window) GROUP BY action_type", arguments: range) {
                let bucket = UsageReport.Bucket(count: try row.decode(atIndex: 1), actions: Amount(micros: try row.decode(atIndex: 2)), credits: Amount(micros: try row.decode(atIndex: 3)))
                byType[try row.decode(atIndex: 0)] = bucket
                totalActions += bucket.actions
                totalCredits += bucket.credits
            }
            var daily: [(date: CivilDate, actions: Amount, credits: Amount)] = []
            let dayRows = try Row.fetchAll(db, sql: "SELECT created_at / 86400000, SUM(actions_charged_micros), SUM(debit_micros) \(window) GROUP BY 1 ORDER BY 1", arguments: range)
            var byDay: [Int64: (Amount, Amount)] = [:]
            for row in dayRows { byDay[try row.decode(atIndex: 0)] = (Amount(micros: try row.decode(atIndex: 1)), Amount(micros: try row.decode(atIndex: 2))) }
            // Every day of the range appears, with zeros where nothing happened.
            let lastDay = (toMillis - 1) / 86_400_000
            var day = max(fromMillis / 86_400_000, lastDay - 365)
            while day <= lastDay {
                let (actions, credits) = byDay[day] ?? (.zero, .zero)
                daily.append((CivilDate(unixSeconds: day * 86_400), actions, credits))
                day += 1
            }
            let topUsers = try Row.fetchAll(db, sql: "SELECT user_id, SUM(actions_charged_micros) AS a, SUM(debit_micros) \(window) AND user_id IS NOT NULL GROUP BY user_id ORDER BY a DESC, user_id LIMIT 10", arguments: range)
                .map { (userId: try $0.decode(atIndex: 0) as String, actions: Amount(micros: try $0.decode(atIndex: 1)), credits: Amount(micros: try $0.decode(atIndex: 2))) }
            return UsageReport(
                workspaceId: workspaceId, fromMillis: fromMillis, toMillis: toMillis, remainingBalance: workspace.remainingBalance,
                remainingAllowance: workspace.remainingAllowance, totalActions: totalActions, totalCreditsSpent: totalCredits,
                byActionType: byType, daily: daily, topUsers: topUsers)
        }
    }

    public func velocities(workspaceIds: [String], nowMillis: Int64) async throws -> [String: Velocity] {
        let dayAgo = nowMillis - 86_400_000, weekAgo = nowMillis - 7 * 86_400_000
        return try await pool.read { db in
            let statement = try db.cachedStatement(sql: """
                SELECT COALESCE(SUM(CASE WHEN created_at >= ? THEN actions_charged_micros ELSE 0 END), 0), COALESCE(SUM(actions_charged_micros), 0)
                FROM decisions WHERE workspace_id = ? AND created_at >= ? AND created_at < ? AND success = 1
                """)
            var result: [String: Velocity] = [:]
            for id in workspaceIds {
                guard let row = try Row.fetchOne(statement, arguments: [dayAgo, id, weekAgo, nowMillis]) else { continue }
                result[id] = Velocity(last24Hours: Amount(micros: try row.decode(atIndex: 0)), last7Days: Amount(micros: try row.decode(atIndex: 1)))
            }
            return result
        }
    }

    static func requireWorkspace(_ db: Database, _ id: String) throws {
        guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM workspaces WHERE id = ?"), arguments: [id]) == true else {
            throw TributeError.workspaceNotFound(id)
        }
    }
}
