import PostgresNIO
import TributeCore

extension PostgresStore {
    public func transactions(workspaceId: String, limit: Int, cursor: String?) async throws -> Page<TransactionView> {
        let before = try listCursor(cursor) ?? Int64.max
        return try await read { connection in
            try await PostgresStore.requireWorkspace(connection, workspaceId)
            var rows: [(seq: Int64, id: String, kind: String, createdAt: Int64, decisionId: String?)] = []
            for try await row in try await connection.query("""
                SELECT seq, id, kind, created_at, decision_id FROM transactions
                WHERE workspace_id = \(workspaceId) AND seq < \(before) ORDER BY seq DESC LIMIT \(Int64(limit + 1))
                """, logger: PostgresLedger.logger).decode((Int64, String, String, Int64, String?).self) { rows.append(row) }
            let page = Array(rows.prefix(limit))
            var postings: [String: [(account: String, unit: String, amount: Amount)]] = [:]
            for try await (transactionId, account, unit, amount) in try await connection.query("""
                SELECT transaction_id, account_id, unit, amount_micros FROM postings WHERE transaction_id = ANY(\(page.map(\.id))) ORDER BY transaction_id, ordinal
                """, logger: PostgresLedger.logger).decode((String, String, String, Int64).self) {
                postings[transactionId, default: []].append((account, unit, Amount(micros: amount)))
            }
            let items = page.map {
                TransactionView(id: $0.id, workspaceId: workspaceId, kind: $0.kind, createdAtMillis: $0.createdAt, decisionId: $0.decisionId, postings: postings[$0.id] ?? [])
            }
            return Page(items: items, nextCursor: rows.count > limit ? String(page.last!.seq) : nil)
        }
    }

    public func decisions(workspaceId: String, limit: Int, cursor: String?, approved: Bool?) async throws -> Page<DecisionRecord> {
        let before = try listCursor(cursor) ?? Int64.max
        return try await read { connection in
            try await PostgresStore.requireWorkspace(connection, workspaceId)
            var rows: [(seq: Int64, DecisionRecord)] = []
            let filter = approved.map { $0 ? "AND success" : "AND NOT success" } ?? ""
            for try await row in try await connection.query("""
                SELECT \(unescaped: PostgresRows.decisionColumns) FROM decisions
                WHERE workspace_id = \(workspaceId) AND seq < \(before) \(unescaped: filter) ORDER BY seq DESC LIMIT \(Int64(limit + 1))
                """, logger: PostgresLedger.logger) { rows.append(try PostgresRows.decision(row)) }
            let page = Array(rows.prefix(limit))
            return Page(items: page.map(\.1), nextCursor: rows.count > limit ? String(page.last!.seq) : nil)
        }
    }

    public func usage(workspaceId: String, fromMillis: Int64, toMillis: Int64) async throws -> UsageReport {
        let nowMillis = clock.nowMillis()
        return try await read { connection in
            let logger = PostgresLedger.logger
            let workspace = try await PostgresStore.view(connection, id: workspaceId, nowMillis: nowMillis)
            var byType: [String: UsageReport.Bucket] = [:]
            var totalActions = Amount.zero, totalCredits = Amount.zero
            for try await (actionType, count, actions, credits) in try await connection.query("""
                SELECT action_type, COUNT(*)::bigint, SUM(actions_charged_micros)::bigint, SUM(debit_micros)::bigint FROM decisions
                WHERE workspace_id = \(workspaceId) AND created_at >= \(fromMillis) AND created_at < \(toMillis) AND success GROUP BY action_type
                """, logger: logger).decode((String, Int64, Int64, Int64).self) {
                let bucket = UsageReport.Bucket(count: count, actions: Amount(micros: actions), credits: Amount(micros: credits))
                byType[actionType] = bucket
                totalActions += bucket.actions
                totalCredits += bucket.credits
            }
            var byDay: [Int64: (Amount, Amount)] = [:]
            for try await (day, actions, credits) in try await connection.query("""
                SELECT created_at / 86400000, SUM(actions_charged_micros)::bigint, SUM(debit_micros)::bigint FROM decisions
                WHERE workspace_id = \(workspaceId) AND created_at >= \(fromMillis) AND created_at < \(toMillis) AND success GROUP BY 1
                """, logger: logger).decode((Int64, Int64, Int64).self) {
                byDay[day] = (Amount(micros: actions), Amount(micros: credits))
            }
            // Every day of the range appears, with zeros where nothing happened.
            var daily: [(date: CivilDate, actions: Amount, credits: Amount)] = []
            let lastDay = (toMillis - 1) / 86_400_000
            var day = max(fromMillis / 86_400_000, lastDay - 365)
            while day <= lastDay {
                let (actions, credits) = byDay[day] ?? (.zero, .zero)
                daily.append((CivilDate(unixSeconds: day * 86_400), actions, credits))
                day += 1
            }
            var topUsers: [(userId: String, actions: Amount, credits: Amount)] = []
            for try await (userId, actions, credits) in try await connection.query("""
                SELECT user_id, SUM(actions_charged_micros)::bigint AS a, SUM(debit_micros)::bigint FROM decisions
                WHERE workspace_id = \(workspaceId) AND created_at >= \(fromMillis) AND created_at < \(toMillis) AND success AND user_id IS NOT NULL
                GROUP BY user_id ORDER BY a DESC, user_id LIMIT 10
                """, logger: logger).decode((String, Int64, Int64).self) {
                topUsers.append((userId, Amount(micros: actions), Amount(micros: credits)))
            }
            return UsageReport(
                workspaceId: workspaceId, fromMillis: fromMillis, toMillis: toMillis, remainingBalance: workspace.remainingBalance,
                remainingAllowance: workspace.remainingAllowance, totalActions: totalActions, totalCreditsSpent: totalCredits,
                byActionType: byType, daily: daily, topUsers: topUsers)
        }
    }

    public func velocities(workspaceIds: [String], nowMillis: Int64) async throws -> [String: Velocity] {
        let dayAgo = nowMillis - 86_400_000, weekAgo = nowMillis - 7 * 86_400_000
        return try await read { connection in
            var result: [String: Velocity] = [:]
            for try await (id, day, week) in try await connection.query("""
                SELECT workspace_id, COALESCE(SUM(CASE WHEN created_at >= \(dayAgo) THEN actions_charged_micros ELSE 0 END), 0)::bigint,
                       COALESCE(SUM(actions_charged_micros), 0)::bigint
                FROM decisions WHERE workspace_id = ANY(\(workspaceIds)) AND created_at >= \(weekAgo) AND created_at < \(nowMillis) AND success
                GROUP BY workspace_id
                """, logger: PostgresLedger.logger).decode((String, Int64, Int64).self) {
                result[id] = Velocity(last24Hours: Amount(micros: day), last7Days: Amount(micros: week))
            }
            for id in workspaceIds where result[id] == nil { result[id] = Velocity(last24Hours: .zero, last7Days: .zero) }
            return result
        }
    }

    static func requireWorkspace(_ connection: PostgresConnection, _ id: String) async throws {
        guard try await connection.query("SELECT 1 FROM workspaces WHERE id = \(id)", logger: PostgresLedger.logger).firstRow() != nil else {
            throw TributeError.workspaceNotFound(id)
        }
    }
}
