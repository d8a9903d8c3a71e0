import PostgresNIO
import TributeCore

extension PostgresStore {
    public func transactions(workspaceId: String, limit: Int, cursor: String?) async throws -> Page<TransactionView> {
        let before = try listCursor(cursor) ?? Int64.max
        return try await read { connection in
            try await PostgresStore.requireWorkspace(connection, workspaceId)
            var rows: [(seq: Int64, id: String, kind: String, createdAt: Int64, decisionId: String?, reverses: String?)] = []
            for try await row in try await connection.query("""
                SELECT seq, id, kind, created_at, decision_id, reverses FROM transactions
                WHERE workspace_id = \(workspaceId) AND seq < \(before) ORDER BY seq DESC LIMIT \(Int64(limit + 1))
                """, logger: PostgresLedger.logger).decode((Int64, String, String, Int64, String?, String?).self) { rows.append(row) }
            var postings: [String: [(account: String, unit: String, amount: Amount)]] = [:]
            for try await (transactionId, account, unit, amount) in try await connection.query("""
                SELECT transaction_id, account_id, unit, amount_micros FROM postings WHERE transaction_id = ANY(\(rows.map(\.id))) ORDER BY transaction_id, ordinal
                """, logger: PostgresLedger.logger).decode((String, String, String, Int64).self) {
                postings[transactionId, default: []].append((account, unit, Amount(micros: amount)))
            }
            let items = rows.map {
                (seq: $0.seq, item: TransactionView(id: $0.id, workspaceId: workspaceId, kind: $0.kind, createdAtMillis: $0.createdAt, decisionId: $0.decisionId,
                                                    postings: postings[$0.id] ?? [], reverses: $0.reverses))
            }
            let carried = try await connection.all(TransferRows.carried(workspaceId: workspaceId, beforeSeq: before, limit: limit), DecisionRows.numbered)
            return TransferRows.merged(rows: items, carried: carried, limit: limit)
        }
    }

    public func decisions(workspaceId: String, limit: Int, cursor: String?, approved: Bool?) async throws -> Page<DecisionRecord> {
        let query = DecisionRows.page(workspaceId: workspaceId, beforeSeq: try listCursor(cursor) ?? Int64.max, limit: limit, approved: approved)
        return try await read { connection in
            try await PostgresStore.requireWorkspace(connection, workspaceId)
            return page(try await connection.all(query, DecisionRows.numbered), limit: limit)
        }
    }

    public func usage(workspaceId: String, fromMillis: Int64, toMillis: Int64) async throws -> UsageReport {
        let nowMillis = clock.nowMillis()
        let query = UsageQuery(workspaceId: workspaceId, fromMillis: fromMillis, toMillis: toMillis)
        return try await read { connection in
            let workspace = try await PostgresStore.view(connection, id: workspaceId, nowMillis: nowMillis)
            let byActionType = try await connection.all(query.byActionType, UsageQuery.bucket)
            let byDay = try await connection.all(query.byDay, UsageQuery.day)
            return query.report(workspace: workspace, byActionType: byActionType, byDay: byDay, topUsers: try await connection.all(query.topUsers, UsageQuery.user))
        }
    }

    public func velocities(workspaceIds: [String], nowMillis: Int64) async throws -> [String: Velocity] {
        let query = VelocityQuery(workspaceIds: workspaceIds, nowMillis: nowMillis)
        guard let statement = query.statement else { return [:] }
        return query.velocities(try await read { connection in try await connection.all(statement, VelocityQuery.row) })
    }

    static func requireWorkspace(_ connection: PostgresConnection, _ id: String) async throws {
        guard try await connection.exists(workspaceExists(id: id)) else { throw TributeError.workspaceNotFound(id) }
    }
}
