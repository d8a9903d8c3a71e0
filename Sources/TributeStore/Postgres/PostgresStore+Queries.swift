import PostgresNIO
import TributeCore

extension PostgresStore {
    public func transactions(workspaceId: String, limit: Int, cursor: String?) async throws -> Page<TransactionView> {
        let before = try listCursor(cursor) ?? Int64.max
        return try await read { connection in
            try await PostgresStore.requireWorkspace(connection, workspaceId)
            let rows = try await PostgresStore.withPostings(
                connection, try await connection.all(TransactionRows.page(workspaceId: workspaceId, beforeSeq: before, limit: limit), TransactionRows.transaction))
            let carried = try await connection.all(TransferRows.carried(workspaceId: workspaceId, beforeSeq: before, limit: limit), DecisionRows.numbered)
            return TransferRows.merged(rows: rows, carried: carried, limit: limit)
        }
    }

    /// Transaction rows with their postings, in the order they were written.
    static func withPostings(_ connection: PostgresConnection, _ rows: [(seq: Int64, item: TransactionView)]) async throws -> [(seq: Int64, item: TransactionView)] {
        guard !rows.isEmpty else { return [] }
        var postings: [String: [(account: String, unit: String, amount: Amount)]] = [:]
        let ids = rows.map(\.item.id)
        let statement = StoreStatement(
            "SELECT transaction_id, \(TransactionRows.postingColumns) FROM postings WHERE transaction_id IN (\(ids.map { _ in "?" }.joined(separator: ", "))) ORDER BY transaction_id, ordinal",
            ids.map { .text($0) })
        for (transactionId, posting) in try await connection.all(statement, { columns in (try columns.text(), try TransactionRows.posting(&columns)) }) {
            postings[transactionId, default: []].append(posting)
        }
        return rows.map { row in
            var item = row.item
            item.postings = postings[item.id] ?? []
            return (row.seq, item)
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
