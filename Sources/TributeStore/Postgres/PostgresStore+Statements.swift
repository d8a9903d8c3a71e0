import PostgresNIO
import TributeCore

extension PostgresStore {
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
        return try await snapshot { connection in
            let base = try StatementCuts.base(for: fromMillis, stored: stored)
            var opening = base.opening
            if base.rowsFromMillis < fromMillis {
                opening = try await PostgresStore.buildStatement(connection, workspaceId, number: nil, fromMillis: base.rowsFromMillis, toMillis: fromMillis,
                                                                 opening: opening).closing
            }
            let statement = try await PostgresStore.buildStatement(connection, workspaceId, number: nil, fromMillis: fromMillis, toMillis: toMillis, opening: opening)
            if toMillis > nowMillis + StatementCuts.liveMarginMillis {
                let state = try await PostgresLedger.readWorkspace(connection, id: workspaceId)
                try StatementCuts.checkLive(statement, owned: state.wallet + state.heldCredits)
            }
            return statement
        }
    }

    /// Reads in one snapshot of the database (a repeatable-read transaction, read only).
    /// - Parameter deadlineSeconds: for a read that takes as long as the ledger is big.
    func snapshot<T: Sendable>(deadlineSeconds: Int64? = nil, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await read(deadlineSeconds: deadlineSeconds) { connection in
            let logger = PostgresLedger.logger
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                let value = try await body(connection)
                try await connection.query("COMMIT", logger: logger)
                return value
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// Cuts the statements of closed periods not written yet (up to `number`), in order,
    /// each opening on the closing of the one before. - Returns: every stored statement.
    private func cutStatements(_ workspaceId: String, upTo number: Int?) async throws -> [StoredStatement] {
        let nowMillis = clock.nowMillis()
        let (stored, workspace) = try await read { connection in
            guard let workspace = try await connection.one(StatementRows.workspace(workspaceId), StatementRows.decodeWorkspace) else {
                throw TributeError.workspaceNotFound(workspaceId)
            }
            return (try await connection.all(StatementRows.stored(workspaceId), StatementRows.decodeStored), workspace)
        }
        guard let due = StatementCuts.due(stored: stored, createdAtMillis: workspace.createdAtMillis, anchor: workspace.anchor, nowMillis: nowMillis, upTo: number) else {
            return stored
        }
        // The period closes first (its carry is a figure of the statement, rollover out).
        let clock = self.clock
        try await transaction { connection in
            var state = try await PostgresLedger.lockWorkspace(connection, id: workspaceId)
            try await PostgresLedger.rollPeriodIfNeeded(connection, &state, nowMillis: clock.nowMillis())
        }
        var opening = try stored.last.map(StatementRows.closing) ?? CreditStatement.CategoryBalances()
        for next in due {
            let range = StatementCuts.range(number: next, createdAtMillis: workspace.createdAtMillis, anchor: workspace.anchor)
            let statement = try await snapshot { [opening] connection in
                try await PostgresStore.buildStatement(connection, workspaceId, number: next, fromMillis: range.fromMillis, toMillis: range.toMillis, opening: opening)
            }
            let insert = StatementRows.insert(workspaceId, statement, nowMillis: nowMillis)
            try await transaction { connection in try await connection.run(insert) }
            opening = statement.closing
        }
        return try await read { connection in try await connection.all(StatementRows.stored(workspaceId), StatementRows.decodeStored) }
    }

    /// Builds the statement of `[from, to)` from the rows of one snapshot.
    static func buildStatement(_ connection: PostgresConnection, _ workspaceId: String, number: Int?, fromMillis: Int64, toMillis: Int64,
                               opening: CreditStatement.CategoryBalances) async throws -> CreditStatement {
        let categories = Dictionary(try await connection.all(StatementRows.categories(workspaceId), StatementRows.decodeCategory)) { first, _ in first }
        var builder = StatementBuilder(workspaceId: workspaceId, number: number, fromMillis: fromMillis, toMillis: toMillis, opening: opening, categories: categories)
        try await connection.each(StatementRows.grants(workspaceId, fromMillis: fromMillis, toMillis: toMillis)) { try StatementRows.feedGrant(&$0, into: &builder) }
        var reversals: [(id: String, reverses: String?)] = []
        try await connection.each(StatementRows.decisions(workspaceId, fromMillis: fromMillis, toMillis: toMillis, hashText: "hash")) {
            if let reversal = try StatementRows.feedDecision(&$0, into: &builder) { reversals.append(reversal) }
        }
        var walk = StatementRows.TransactionWalk()
        try await connection.each(StatementRows.transactions(workspaceId, fromMillis: fromMillis, toMillis: toMillis, postingsJoin: "p.transaction_id = t.id")) {
            try walk.add(&$0, into: &builder)
        }
        try walk.finish(into: &builder)
        try await connection.each(StatementRows.carries(workspaceId)) { try StatementRows.feedCarry(&$0, into: &builder) }
        for hold in try await connection.all(StatementRows.holdsOpen(workspaceId, toMillis: toMillis), StatementRows.decodeHold) { builder.holdOpen(hold) }
        var earlier = Set<String>()
        for reversal in reversals {
            guard let reverses = reversal.reverses, let chargedAt = try await connection.one(StatementRows.chargeTime(transactionId: reverses), { try $0.int() }) else { continue }
            if chargedAt < fromMillis { earlier.insert(reversal.id) }
        }
        builder.markAdjustments(reversalsOfEarlierCharges: earlier)
        return try builder.finish()
    }
}
