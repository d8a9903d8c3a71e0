import Logging
import PostgresNIO
import TributeCore

/// Ledger writes of the operations other than authorize, each inside a transaction that
/// holds the workspace's row lock.
enum PostgresLedger {
    static let logger = Logger(label: "tribute.postgres.ledger")

    /// Locks the workspace's row until the transaction ends, then reads its balances.
    /// - Throws: `TributeError.workspaceNotFound`.
    static func lockWorkspace(_ connection: PostgresConnection, id: String) async throws -> (WorkspaceState, head: String) {
        guard let row = try await connection.query(
            "SELECT \(unescaped: PostgresRows.workspaceColumns) FROM workspaces WHERE id = \(id) FOR NO KEY UPDATE", logger: logger
        ).firstRow() else { throw TributeError.workspaceNotFound(id) }
        var (state, head) = try PostgresRows.workspace(row, plans: try await PostgresRows.plans(connection, logger: logger))
        try await readBalances(connection, &state)
        return (state, head)
    }

    /// Reads a workspace without locking it (for views).
    static func readWorkspace(_ connection: PostgresConnection, id: String) async throws -> WorkspaceState {
        guard let row = try await connection.query(
            "SELECT \(unescaped: PostgresRows.workspaceColumns) FROM workspaces WHERE id = \(id)", logger: logger
        ).firstRow() else { throw TributeError.workspaceNotFound(id) }
        var (state, _) = try PostgresRows.workspace(row, plans: try await PostgresRows.plans(connection, logger: logger))
        try await readBalances(connection, &state)
        return state
    }

    static func readBalances(_ connection: PostgresConnection, _ state: inout WorkspaceState) async throws {
        for try await (kind, balance) in try await connection.query(
            "SELECT kind, balance_micros FROM accounts WHERE workspace_id = \(state.id)", logger: logger
        ).decode((String, Int64).self) {
            if kind == AccountKind.wallet.rawValue { state.wallet = Amount(micros: balance) }
            if kind == AccountKind.allowance.rawValue { state.allowance = Amount(micros: balance) }
        }
    }

    /// Appends a balanced transaction and moves its accounts' balances: workspace accounts
    /// by a delta under their non-negative `CHECK` (and the bound, checked against the row
    /// the caller locked), system accounts in one shard, with their netting after it when
    /// they would otherwise pass the bound.
    /// - Throws: `TributeError.amountTooLarge`.
    static func append(_ connection: PostgresConnection, _ transaction: LedgerTransaction, id: String, workspaceId: String?, decisionId: String?, atMillis: Int64) async throws {
        var netting: LedgerTransaction?
        if transaction.postings.contains(where: { $0.account.workspaceId == nil }) {
            netting = try await systemTotals(connection).settling(transaction.postings).netting
        }
        try await insert(connection, transaction, id: id, workspaceId: workspaceId, decisionId: decisionId, atMillis: atMillis)
        if let netting { try await insert(connection, netting, id: Identifier.make("txn"), workspaceId: nil, decisionId: nil, atMillis: atMillis) }
    }

    private static func insert(_ connection: PostgresConnection, _ transaction: LedgerTransaction, id: String, workspaceId: String?, decisionId: String?, atMillis: Int64) async throws {
        try await connection.query("""
            INSERT INTO transactions (id, workspace_id, kind, decision_id, created_at)
            VALUES (\(id), \(workspaceId), \(transaction.kind.rawValue), \(decisionId), \(atMillis))
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

    /// Starts the period containing `nowMillis` if the stored one has ended.
    static func rollPeriodIfNeeded(_ connection: PostgresConnection, _ state: inout WorkspaceState, nowMillis: Int64) async throws {
        guard let transaction = try AuthorizeStep.rollPeriod(&state, nowMillis: nowMillis) else { return }
        if let transaction {
            try await append(connection, transaction, id: Identifier.make("txn"), workspaceId: state.id, decisionId: nil, atMillis: nowMillis)
        }
        try await connection.query("""
            UPDATE workspaces SET period_start = \(state.period.start), period_end = \(state.period.end), period_used_micros = 0 WHERE id = \(state.id)
            """, logger: logger)
    }

    /// Moves the unspent part of every grant whose expiry has passed out of the wallet.
    static func expireGrantsIfNeeded(_ connection: PostgresConnection, _ state: inout WorkspaceState, nowMillis: Int64) async throws {
        guard let next = state.nextExpiryAtMillis, next <= nowMillis else { return }
        var total = Amount.zero
        for try await (_, remaining) in try await connection.query("""
            UPDATE credit_grants g SET remaining_micros = 0 FROM (
                SELECT id, remaining_micros FROM credit_grants WHERE workspace_id = \(state.id) AND remaining_micros > 0 AND expires_at <= \(nowMillis)
            ) old WHERE g.id = old.id RETURNING g.id, old.remaining_micros
            """, logger: logger).decode((String, Int64).self) {
            guard let next = total.adding(Amount(micros: remaining)) else { throw StoreFault.corruptAmount("credit_grants.remaining_micros") }
            total = next
        }
        if !total.isZero {
            let transaction = try LedgerTransaction.transfer(.grantExpiry, total, from: .wallet(state.id), to: .system(.expired))
            try await append(connection, transaction, id: Identifier.make("txn"), workspaceId: state.id, decisionId: nil, atMillis: nowMillis)
        }
        state.wallet -= total
        state.nextExpiryAtMillis = try await refreshNextExpiry(connection, workspaceId: state.id)
    }

    /// Recomputes and stores the soonest expiry among grants with credits left.
    static func refreshNextExpiry(_ connection: PostgresConnection, workspaceId: String) async throws -> Int64? {
        let next = try await connection.query("""
            UPDATE workspaces SET next_expiry_at = (
                SELECT MIN(expires_at) FROM credit_grants WHERE workspace_id = \(workspaceId) AND remaining_micros > 0 AND expires_at IS NOT NULL
            ) WHERE id = \(workspaceId) RETURNING next_expiry_at
            """, logger: logger).firstRow()
        return try next?.decode(Int64?.self) ?? nil
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
