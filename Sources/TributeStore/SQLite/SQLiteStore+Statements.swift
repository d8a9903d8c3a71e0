import GRDB
import TributeCore

extension SQLiteStore {
    public func statements(workspaceId: String) async throws -> [StoredStatement] {
        try await cutStatements(workspaceId, upTo: nil)
    }

    public func statement(workspaceId: String, number: Int) async throws -> StoredStatement {
        guard number >= 1, let statement = try await cutStatements(workspaceId, upTo: number).first(where: { $0.number == number }) else {
            throw TributeError.statementNotFound(String(number))
        }
        return statement
    }

    public func statement(workspaceId: String, fromMillis: Int64, toMillis: Int64) async throws -> CreditStatement {
        try StatementCuts.checkRange(fromMillis: fromMillis, toMillis: toMillis)
        let stored = try await cutStatements(workspaceId, upTo: nil)
        let nowMillis = clock.nowMillis()
        return try await pool.read { db in
            let base = try StatementCuts.base(for: fromMillis, stored: stored)
            var opening = base.opening
            if base.rowsFromMillis < fromMillis {
                opening = try SQLiteStore.buildStatement(db, workspaceId, number: nil, fromMillis: base.rowsFromMillis, toMillis: fromMillis, opening: opening).closing
            }
            let statement = try SQLiteStore.buildStatement(db, workspaceId, number: nil, fromMillis: fromMillis, toMillis: toMillis, opening: opening)
            if toMillis > nowMillis + StatementCuts.liveMarginMillis {
                let state = try SQLiteLedger.loadWorkspace(db, id: workspaceId)
                try StatementCuts.checkLive(statement, owned: state.wallet + state.heldCredits)
            }
            return statement
        }
    }

    /// Cuts the statements of closed periods not written yet (up to `number`), in order,
    /// each opening on the closing of the one before. - Returns: every stored statement.
    private func cutStatements(_ workspaceId: String, upTo number: Int?) async throws -> [StoredStatement] {
        let nowMillis = clock.nowMillis()
        let (stored, workspace) = try await pool.read { db in
            guard let workspace = try db.one(StatementRows.workspace(workspaceId), StatementRows.decodeWorkspace) else {
                throw TributeError.workspaceNotFound(workspaceId)
            }
            return (try db.all(StatementRows.stored(workspaceId), StatementRows.decodeStored), workspace)
        }
        guard let due = StatementCuts.due(stored: stored, createdAtMillis: workspace.createdAtMillis, anchor: workspace.anchor, nowMillis: nowMillis, upTo: number) else {
            return stored
        }
        // The period closes first (its carry is a figure of the statement, rollover out).
        try await write { db in
            var state = try SQLiteLedger.loadWorkspace(db, id: workspaceId)
            try SQLiteLedger.rollPeriodIfNeeded(db, &state, nowMillis: nowMillis)
        }
        var opening = try stored.last.map(StatementRows.closing) ?? CreditStatement.CategoryBalances()
        var cut: [CreditStatement] = []
        for next in due {
            let range = StatementCuts.range(number: next, createdAtMillis: workspace.createdAtMillis, anchor: workspace.anchor)
            let statement = try await pool.read { [opening] db in
                try SQLiteStore.buildStatement(db, workspaceId, number: next, fromMillis: range.fromMillis, toMillis: range.toMillis, opening: opening)
            }
            cut.append(statement)
            opening = statement.closing
        }
        let inserts = cut.map { StatementRows.insert(workspaceId, $0, nowMillis: nowMillis) }
        try await write { db in for insert in inserts { try db.run(insert) } }
        return try await pool.read { db in try db.all(StatementRows.stored(workspaceId), StatementRows.decodeStored) }
    }

    /// Builds the statement of `[from, to)` from the rows of one read.
    static func buildStatement(_ db: Database, _ workspaceId: String, number: Int?, fromMillis: Int64, toMillis: Int64,
                               opening: CreditStatement.CategoryBalances) throws -> CreditStatement {
        let categories = Dictionary(try db.all(StatementRows.categories(workspaceId), StatementRows.decodeCategory)) { first, _ in first }
        var builder = StatementBuilder(workspaceId: workspaceId, number: number, fromMillis: fromMillis, toMillis: toMillis, opening: opening, categories: categories)
        try db.each(StatementRows.grants(workspaceId, fromMillis: fromMillis, toMillis: toMillis)) { try StatementRows.feedGrant(&$0, into: &builder) }
        var reversals: [(id: String, reverses: String?)] = []
        try db.each(StatementRows.decisions(workspaceId, fromMillis: fromMillis, toMillis: toMillis, hashText: SQLiteLedger.hashText("hash"))) {
            if let reversal = try StatementRows.feedDecision(&$0, into: &builder) { reversals.append(reversal) }
        }
        var walk = StatementRows.TransactionWalk()
        try db.each(StatementRows.transactions(workspaceId, fromMillis: fromMillis, toMillis: toMillis, postingsJoin: "p.transaction_seq = t.seq")) {
            try walk.add(&$0, into: &builder)
        }
        try walk.finish(into: &builder)
        try db.each(StatementRows.carries(workspaceId)) { try StatementRows.feedCarry(&$0, into: &builder) }
        for hold in try db.all(StatementRows.holdsOpen(workspaceId, toMillis: toMillis), StatementRows.decodeHold) { builder.holdOpen(hold) }
        var earlier = Set<String>()
        for reversal in reversals {
            guard let reverses = reversal.reverses, let chargedAt = try db.one(StatementRows.chargeTime(transactionId: reverses), { try $0.int() }) else { continue }
            if chargedAt < fromMillis { earlier.insert(reversal.id) }
        }
        builder.markAdjustments(reversalsOfEarlierCharges: earlier)
        return try builder.finish()
    }
}
