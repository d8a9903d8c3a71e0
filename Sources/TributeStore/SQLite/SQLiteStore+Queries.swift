import GRDB
import TributeCore

extension SQLiteStore {
    public func transactions(workspaceId: String, limit: Int, cursor: String?) async throws -> Page<TransactionView> {
        let before = try listCursor(cursor) ?? Int64.max
        return try await pool.read { db in
            try SQLiteStore.requireWorkspace(db, workspaceId)
            let rows = try db.all(TransactionRows.page(workspaceId: workspaceId, beforeSeq: before, limit: limit), TransactionRows.transaction)
                .map { row in (seq: row.seq, item: try SQLiteStore.withPostings(db, row.item, seq: row.seq)) }
            let carried = try db.all(TransferRows.carried(workspaceId: workspaceId, beforeSeq: before, limit: limit), DecisionRows.numbered)
            return TransferRows.merged(rows: rows, carried: carried, limit: limit)
        }
    }

    /// A transaction row with its postings, in the order they were written.
    static func withPostings(_ db: Database, _ transaction: TransactionView, seq: Int64) throws -> TransactionView {
        var transaction = transaction
        transaction.postings = try db.all(
            StoreStatement("SELECT \(TransactionRows.postingColumns) FROM postings WHERE transaction_seq = ? ORDER BY rowid", [.int(seq)]), TransactionRows.posting)
        return transaction
    }

    public func decisions(workspaceId: String, limit: Int, cursor: String?, approved: Bool?) async throws -> Page<DecisionRecord> {
        let query = DecisionRows.page(workspaceId: workspaceId, beforeSeq: try listCursor(cursor) ?? Int64.max, limit: limit, approved: approved)
        return try await pool.read { db in
            try SQLiteStore.requireWorkspace(db, workspaceId)
            return page(try db.all(query, DecisionRows.numbered), limit: limit)
        }
    }

    /// The columns `decision(from:offset:)` reads, in its order.
    static let decisionColumns = DecisionRows.columns

    /// The number of columns `decisionColumns` names.
    static let decisionColumnCount = DecisionRows.columnCount

    /// A decision from the row's columns of `decisionColumns`, the first at `offset`.
    /// - Throws: `StoreFault.unknownValue` for a reason Tribute never writes.
    static func decision(from row: Row, offset: Int) throws -> DecisionRecord {
        var columns = SQLiteColumns(row, from: offset)
        return try DecisionRows.decision(&columns)
    }

    public func usage(workspaceId: String, fromMillis: Int64, toMillis: Int64) async throws -> UsageReport {
        let nowMillis = clock.nowMillis()
        let query = UsageQuery(workspaceId: workspaceId, fromMillis: fromMillis, toMillis: toMillis)
        return try await pool.read { db in
            query.report(
                workspace: try SQLiteStore.view(db, id: workspaceId, nowMillis: nowMillis), byActionType: try db.all(query.byActionType, UsageQuery.bucket),
                byDay: try db.all(query.byDay, UsageQuery.day), topUsers: try db.all(query.topUsers, UsageQuery.user))
        }
    }

    public func velocities(workspaceIds: [String], nowMillis: Int64) async throws -> [String: Velocity] {
        let query = VelocityQuery(workspaceIds: workspaceIds, nowMillis: nowMillis)
        guard let statement = query.statement else { return [:] }
        return query.velocities(try await pool.read { db in try db.all(statement, VelocityQuery.row) })
    }

    static func requireWorkspace(_ db: Database, _ id: String) throws {
        guard try db.exists(workspaceExists(id: id)) else { throw TributeError.workspaceNotFound(id) }
    }
}
