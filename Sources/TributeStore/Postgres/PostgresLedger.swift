import Logging
import PostgresNIO
import TributeCore

/// Ledger writes of the operations other than authorize, each inside a transaction that
/// holds the workspace's row lock.
enum PostgresLedger {
    static let logger = Logger(label: "tribute.postgres.ledger")

    /// Locks the workspace's row until the transaction ends, then reads its balances.
    /// - Throws: `TributeError.workspaceNotFound`.
    static func lockWorkspace(_ connection: PostgresConnection, id: String) async throws -> WorkspaceState {
        guard let row = try await connection.query(
            "SELECT \(unescaped: PostgresRows.workspaceColumns) FROM workspaces WHERE id = \(id) FOR NO KEY UPDATE", logger: logger
        ).firstRow() else { throw TributeError.workspaceNotFound(id) }
        var state = try PostgresRows.workspace(row, plans: try await PostgresRows.plans(connection, logger: logger))
        try await readBalances(connection, &state)
        return state
    }

    /// Locks the workspace's row unless another transaction holds it, then reads its
    /// balances: `nil` when busy (the sweepers of several instances share the work so).
    static func lockWorkspaceUnlessBusy(_ connection: PostgresConnection, id: String) async throws -> WorkspaceState? {
        guard let row = try await connection.query(
            "SELECT \(unescaped: PostgresRows.workspaceColumns) FROM workspaces WHERE id = \(id) FOR NO KEY UPDATE SKIP LOCKED", logger: logger
        ).firstRow() else { return nil }
        var state = try PostgresRows.workspace(row, plans: try await PostgresRows.plans(connection, logger: logger))
        try await readBalances(connection, &state)
        return state
    }

    /// Reads a workspace without locking it (for views).
    static func readWorkspace(_ connection: PostgresConnection, id: String) async throws -> WorkspaceState {
        guard let row = try await connection.query(
            "SELECT \(unescaped: PostgresRows.workspaceColumns) FROM workspaces WHERE id = \(id)", logger: logger
        ).firstRow() else { throw TributeError.workspaceNotFound(id) }
        var state = try PostgresRows.workspace(row, plans: try await PostgresRows.plans(connection, logger: logger))
        try await readBalances(connection, &state)
        return state
    }

    static func readBalances(_ connection: PostgresConnection, _ state: inout WorkspaceState) async throws {
        for try await (kind, balance) in try await connection.query(
            "SELECT kind, balance_micros FROM accounts WHERE workspace_id = \(state.id)", logger: logger
        ).decode((String, Int64).self) {
            PostgresRows.setBalance(&state, kind: kind, micros: balance)
        }
    }

    /// Appends a balanced transaction and moves its accounts' balances: workspace accounts
    /// by a delta under their non-negative `CHECK` (and the bound, checked against the row
    /// the caller locked), system accounts in one shard, with their netting after it when
    /// they would otherwise pass the bound.
    /// - Throws: `TributeError.amountTooLarge`.
    static func append(_ connection: PostgresConnection, _ transaction: LedgerTransaction, id: String, workspaceId: String?, decisionId: String?, atMillis: Int64,
                       detail: String? = nil) async throws {
        var netting: LedgerTransaction?
        if transaction.postings.contains(where: { $0.account.workspaceId == nil }) {
            netting = try await systemTotals(connection).settling(transaction.postings).netting
        }
        try await insert(connection, transaction, id: id, workspaceId: workspaceId, decisionId: decisionId, atMillis: atMillis, detail: detail)
        if let netting { try await insert(connection, netting, id: Identifier.make("txn"), workspaceId: nil, decisionId: nil, atMillis: atMillis) }
    }

    private static func insert(_ connection: PostgresConnection, _ transaction: LedgerTransaction, id: String, workspaceId: String?, decisionId: String?, atMillis: Int64,
                               detail: String? = nil) async throws {
        try await connection.query("""
            INSERT INTO transactions (id, workspace_id, kind, decision_id, created_at, detail)
            VALUES (\(id), \(workspaceId), \(transaction.kind.rawValue), \(decisionId), \(atMillis), \(detail))
            """, logger: logger)
        let shard = Int32.random(in: 0..<PostgresStore.systemShards)
        for (ordinal, posting) in transaction.postings.enumerated() {
            let account = posting.account.description
            try await connection.query("""
                INSERT INTO postings (transaction_id, ordinal, account_id, unit, amount_micros)
                VALUES (\(id), \(Int16(ordinal)), \(account), \(posting.unit.rawValue), \(posting.amount.micros))
                """, logger: logger)
            if posting.account.workspaceId == nil {
                try await connection.query("""
                    INSERT INTO system_balance_shards (account_id, shard, balance_micros) VALUES (\(account), \(shard), \(posting.amount.micros))
                    ON CONFLICT (account_id, shard) DO UPDATE SET balance_micros = system_balance_shards.balance_micros + excluded.balance_micros
                    """, logger: logger)
            } else {
                guard let row = try await connection.query("SELECT balance_micros FROM accounts WHERE id = \(account)", logger: logger).firstRow() else {
                    throw StoreFault.missingAccount(account)
                }
                _ = try posting.applied(to: Amount(micros: try row.decode(Int64.self)))
                try await connection.query("UPDATE accounts SET balance_micros = balance_micros + \(posting.amount.micros) WHERE id = \(account)", logger: logger)
            }
        }
    }

    /// Every system account's total over its shards, read without locking them: batches
    /// add to their own shards meanwhile, so a total may pass the bound by what they add,
    /// which `SystemBalances.settling` allows to shrink and the next netting brings back.
    static func systemTotals(_ connection: PostgresConnection) async throws -> SystemBalances {
        var totals: [AccountKind: Int64] = [:]
        for try await (account, total) in try await connection.query(
            "SELECT account_id, SUM(balance_micros)::text FROM system_balance_shards GROUP BY account_id", logger: logger
        ).decode((String, String).self) {
            guard let kind = AccountKind(rawValue: String(account.dropFirst("system:".count))) else { throw StoreFault.unknownValue("system_balance_shards.account_id", account) }
            guard let micros = Int64(total) else { throw StoreFault.corruptAmount(account) }
            totals[kind] = micros
        }
        return SystemBalances(micros: totals)
    }

    /// Appends a transaction the kernel built, moving its balances.
    static func append(_ connection: PostgresConnection, _ pending: PendingTransaction) async throws {
        guard let transaction = try? LedgerTransaction(kind: pending.kind, postings: pending.postings) else {
            preconditionFailure("the kernel builds only balanced transactions")
        }
        try await append(connection, transaction, id: pending.id, workspaceId: pending.workspaceId, decisionId: pending.decisionId, atMillis: pending.atMillis,
                         detail: pending.detail)
    }

    /// Starts the period containing `nowMillis` if the stored one has ended, by the
    /// kernel's rule (`WorkspaceState.rollPeriod`).
    static func rollPeriodIfNeeded(_ connection: PostgresConnection, _ state: inout WorkspaceState, nowMillis: Int64) async throws {
        guard let rolls = state.rollPeriod(nowMillis: nowMillis, transactionId: Identifier.make("txn")) else { return }
        for roll in rolls { try await append(connection, roll) }
        try await connection.query("""
            UPDATE workspaces SET period_start = \(state.period.start), period_end = \(state.period.end), period_used_micros = 0,
                rollover = \(state.rollover.encoded) WHERE id = \(state.id)
            """, logger: logger)
    }

    /// Expires the grants whose expiry has passed, by the kernel's rule
    /// (`WorkspaceState.expireGrants`).
    static func expireGrantsIfNeeded(_ connection: PostgresConnection, _ state: inout WorkspaceState, nowMillis: Int64) async throws {
        guard state.hasExpiredGrants(nowMillis: nowMillis) else { return }
        var grants = OpenGrants(try await openGrants(connection, workspaceId: state.id, including: []))
        if let expiry = state.expireGrants(&grants, nowMillis: nowMillis, transactionId: Identifier.make("txn")) { try await append(connection, expiry) }
        try await writeGrants(connection, grants)
        try await connection.query("UPDATE workspaces SET next_expiry_at = \(state.nextExpiryAtMillis) WHERE id = \(state.id)", logger: logger)
    }

    /// The workspace's grants with credits left, and those named, in creation order.
    static func openGrants(_ connection: PostgresConnection, workspaceId: String, including named: [String]) async throws -> [GrantBalance] {
        try await connection.all(GrantRows.open(workspaceId: workspaceId, including: named), GrantRows.balance)
    }

    /// Stores the remaining credits of the grants the kernel changed.
    static func writeGrants(_ connection: PostgresConnection, _ grants: OpenGrants) async throws {
        for (id, remaining) in grants.changed.sorted(by: { $0.key < $1.key }) {
            try await connection.query("UPDATE credit_grants SET remaining_micros = \(remaining.micros) WHERE id = \(id)", logger: logger)
        }
    }

    /// Recomputes and stores the soonest expiry among grants with credits left.
    static func refreshNextExpiry(_ connection: PostgresConnection, workspaceId: String) async throws -> Int64? {
        let next = OpenGrants(try await openGrants(connection, workspaceId: workspaceId, including: [])).nextExpiryAtMillis
        try await connection.query("UPDATE workspaces SET next_expiry_at = \(next) WHERE id = \(workspaceId)", logger: logger)
        return next
    }
}

extension PostgresRowSequence {
    /// The first row, if any; the rest are read and dropped.
    func firstRow() async throws -> PostgresRow? {
        var first: PostgresRow?
        for try await row in self where first == nil { first = row }
        return first
    }
}
