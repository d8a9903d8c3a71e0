import PostgresNIO
import TributeCore

extension PostgresStore {
    /// Checks, in one repeatable-read snapshot, the rules `SQLiteStore.verifyLedger` checks;
    /// a system account's balance is the sum of its shards, and each workspace's decision
    /// chain must run from the genesis hash to the head its row records.
    public func verifyLedger(checkpoints digests: [String]) async throws -> LedgerReport {
        // A whole-ledger check takes as long as the ledger is big.
        try await read(deadlineSeconds: 3_600) { connection in
            let logger = PostgresLedger.logger
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                let report = try await PostgresStore.verify(connection, checkpoints: digests)
                try await connection.query("COMMIT", logger: logger)
                return report
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    private static func verify(_ connection: PostgresConnection, checkpoints digests: [String]) async throws -> LedgerReport {
        let logger = PostgresLedger.logger
        func count(_ table: String) async throws -> Int {
            Int(try await connection.query("SELECT COUNT(*)::bigint FROM \(unescaped: table)", logger: logger).firstRow()?.decode(Int64.self) ?? 0)
        }
        // Transactions: the rows and the transfers decisions carry; postings: the rows.
        let carried = Int(try await connection.query(PostgresQuery(unsafeSQL: AuditRows.carriedCount), logger: logger).firstRow()?.decode(Int64.self) ?? 0)
        let accounts = try await count("accounts"), transactions = try await count("transactions") + carried
        let postings = try await count("postings"), decisions = try await count("decisions")
        func report(_ violation: LedgerViolation?) -> LedgerReport {
            LedgerReport(accounts: accounts, transactions: transactions, postings: postings, decisions: decisions,
                         checkpoints: violation == nil ? digests : [], violation: violation)
        }
        // The append-only tables carry no foreign keys (see v2 of the migrations): what
        // they would have refused is looked for here.
        if let row = try await connection.query("""
            SELECT p.transaction_id, p.account_id FROM postings p
            LEFT JOIN transactions t ON t.id = p.transaction_id LEFT JOIN accounts a ON a.id = p.account_id
            WHERE t.id IS NULL OR a.id IS NULL LIMIT 1
            """, logger: logger).firstRow() {
            let (transaction, account) = try row.decode((String, String).self)
            return report(.danglingPosting(transaction: transaction, account: account))
        }
        if let row = try await connection.query("""
            SELECT t.id FROM transactions t LEFT JOIN workspaces w ON w.id = t.workspace_id
            WHERE t.workspace_id IS NOT NULL AND w.id IS NULL LIMIT 1
            """, logger: logger).firstRow() {
            return report(.danglingTransaction(try row.decode(String.self)))
        }
        if let row = try await connection.query("""
            SELECT transaction_id, unit, SUM(amount_micros)::bigint FROM postings GROUP BY transaction_id, unit HAVING SUM(amount_micros) <> 0 LIMIT 1
            """, logger: logger).firstRow() {
            let (id, unit, off) = try row.decode((String, String, Int64).self)
            return report(.unbalanced(id, unit: unit, offMicros: off))
        }
        if let row = try await connection.query("""
            SELECT t.id FROM transactions t LEFT JOIN postings p ON p.transaction_id = t.id GROUP BY t.id HAVING COUNT(p.transaction_id) < 2 LIMIT 1
            """, logger: logger).firstRow() {
            return report(.tooFewPostings(try row.decode(String.self)))
        }
        if let row = try await connection.query("""
            SELECT d.id, d.transaction_id FROM decisions d LEFT JOIN transactions t ON t.id = d.transaction_id
            WHERE d.transaction_id IS NOT NULL AND t.id IS NULL LIMIT 1
            """, logger: logger).firstRow() {
            let (decision, transaction) = try row.decode((String, String).self)
            return report(.missingTransaction(decision: decision, transaction: transaction))
        }
        if let row = try await connection.query("""
            SELECT t.id, t.decision_id FROM transactions t LEFT JOIN decisions d ON d.id = t.decision_id
            WHERE t.decision_id IS NOT NULL AND d.id IS NULL LIMIT 1
            """, logger: logger).firstRow() {
            let (transaction, decision) = try row.decode((String, String).self)
            return report(.missingDecision(transaction: transaction, decision: decision))
        }
        // A reversal names the charge its (hashed) decision records, and no charge twice.
        if let row = try await connection.query("""
            SELECT t.id FROM transactions t LEFT JOIN decisions d ON d.id = t.decision_id
            WHERE (t.kind = 'reversal' OR t.reverses IS NOT NULL OR d.reason = 'REVERSED')
              AND (t.kind <> 'reversal' OR d.reason IS DISTINCT FROM 'REVERSED' OR t.reverses IS NULL
                   OR t.reverses IS DISTINCT FROM \(unescaped: PostgresStore.reversedField("d.explanation")))
            LIMIT 1
            """, logger: logger).firstRow() {
            return report(.reversalMismatch(try row.decode(String.self)))
        }
        if let row = try await connection.query("""
            SELECT MIN(id) FROM decisions WHERE reason = 'REVERSED' GROUP BY \(unescaped: PostgresStore.reversedField("explanation")) HAVING COUNT(*) > 1 LIMIT 1
            """, logger: logger).firstRow() {
            return report(.reversalMismatch(try row.decode(String.self)))
        }
        if let row = try await connection.query(PostgresQuery(unsafeSQL: AuditRows.strayTransaction), logger: logger).firstRow() {
            return report(.decisionMismatch(try row.decode(String.self)))
        }
        let totals = AuditRows.accountTotals { PostgresStore.givenBackField($0) }
        if let row = try await connection.query(PostgresQuery(unsafeSQL: """
            \(totals)
            \(AuditRows.missingAccounts)
            UNION ALL SELECT 1, a.id, (a.balance_micros + COALESCE(s.total, 0))::bigint, COALESCE(p.total, 0)::bigint FROM accounts a
            LEFT JOIN (SELECT account_id, SUM(balance_micros) AS total FROM system_balance_shards GROUP BY account_id) s ON s.account_id = a.id
            LEFT JOIN totals p ON p.account_id = a.id
            WHERE a.balance_micros + COALESCE(s.total, 0) <> COALESCE(p.total, 0)
            ORDER BY 1 LIMIT 1
            """), logger: logger).firstRow() {
            let (tag, account, balance, total) = try row.decode((Int32, String, Int64, Int64).self)
            if tag == 0 { return report(.danglingPosting(transaction: "carried by a decision", account: account)) }
            return report(.balanceMismatch(account, balanceMicros: balance, postingsMicros: total))
        }
        if let row = try await connection.query(
            "SELECT id, balance_micros FROM accounts WHERE NOT allows_negative AND balance_micros < 0 LIMIT 1", logger: logger
        ).firstRow() {
            let (id, balance) = try row.decode((String, Int64).self)
            return report(.negative(id, balanceMicros: balance))
        }
        if let row = try await connection.query("""
            SELECT a.workspace_id, a.balance_micros, COALESCE(g.total, 0)::bigint FROM accounts a
            LEFT JOIN (SELECT workspace_id, SUM(remaining_micros) AS total FROM credit_grants GROUP BY workspace_id) g ON g.workspace_id = a.workspace_id
            WHERE a.kind = 'wallet' AND a.balance_micros <> COALESCE(g.total, 0) LIMIT 1
            """, logger: logger).firstRow() {
            let (id, balance, total) = try row.decode((String, Int64, Int64).self)
            return report(.walletMismatch(id, walletMicros: balance, grantsMicros: total))
        }
        if let violation = try await holdViolation(connection) { return report(violation) }
        for try await (workspaceId, allowance, used, planAllowance, held, rollover) in try await connection.query(
            PostgresQuery(unsafeSQL: AuditRows.allowances.sql), logger: logger
        ).decode((String, Int64, Int64, Int64, Int64, String?).self) {
            if let violation = AllowanceAudit.violation(workspaceId: workspaceId, allowanceMicros: allowance, periodUsedMicros: used,
                                                        heldInPeriodMicros: held, planAllowanceMicros: planAllowance, rollover: rollover) {
                return report(violation)
            }
        }
        if let row = try await connection.query(
            "SELECT id FROM decisions WHERE success <> (reason = 'APPROVED') LIMIT 1", logger: logger
        ).firstRow() {
            return report(.successAltered(try row.decode(String.self)))
        }
        var checkpoints: [LedgerCheckpoint] = []
        for digest in digests {
            let text = try await connection.query("SELECT heads FROM ledger_checkpoints WHERE digest = \(digest)", logger: logger).firstRow()?.decode(String.self)
            switch LedgerCheckpoint.proven(digest: digest, text: text) {
            case .success(let checkpoint): checkpoints.append(checkpoint)
            case .failure(let violation): return report(violation)
            }
        }
        // Each workspace's chain, walked in order; chains were per workspace from the start.
        var audit = ChainAudit(legacyEndSeq: 0, checkpoints: checkpoints)
        for try await row in try await connection.query(
            "SELECT \(unescaped: PostgresRows.decisionColumns), prev_hash, hash FROM decisions ORDER BY seq", logger: logger
        ) {
            let (seq, record) = try PostgresRows.decision(row)
            let cells = row.makeRandomAccess()
            let storedPrevious = try cells["prev_hash"].decode(String?.self)
            let stored = try cells["hash"].decode(String.self)
            if let violation = audit.check(seq: seq, record, storedPrevious: storedPrevious, storedHash: stored) { return report(violation) }
        }
        var heads: [String: String] = [:]
        for try await (id, head) in try await connection.query("SELECT id, decision_head FROM workspaces", logger: logger).decode((String, String).self) {
            heads[id] = head
        }
        if let violation = audit.finish(storedHeads: heads) { return report(violation) }
        // After the chain: the decisions the legs are checked against are proven unaltered.
        var walk = DecisionLegsWalk()
        for try await row in try await connection.query(
            PostgresQuery(unsafeSQL: AuditRows.decisionLegs(postingsJoin: "p.transaction_id = t.id")), logger: logger
        ) {
            let (seq, id, kind, reason, fromAllowance, credits, explanation, accountKind, owner, amount) = try row.decode(
                (Int64, String, String, String, Int64, Int64, String?, String, Int64, Int64).self)
            let recorded = AuditRows.recorded(id: id, kind: kind, reason: reason, fromAllowanceMicros: fromAllowance, creditsMicros: credits, explanation: explanation)
            if let violation = walk.add(seq: seq, decision: recorded, accountKind: accountKind, owner: owner, amountMicros: amount) { return report(violation) }
        }
        if let violation = walk.finish() { return report(violation) }
        return report(try await statementViolation(connection))
    }

    /// A stored statement its rows no longer build (`StatementCuts.violation`).
    private static func statementViolation(_ connection: PostgresConnection) async throws -> LedgerViolation? {
        var workspaceIds: [String] = []
        for try await id in try await connection.query("SELECT DISTINCT workspace_id FROM statements ORDER BY workspace_id", logger: PostgresLedger.logger).decode(String.self) {
            workspaceIds.append(id)
        }
        for workspaceId in workspaceIds {
            let stored = try await connection.all(StatementRows.stored(workspaceId), StatementRows.decodeStored)
            var opening = CreditStatement.CategoryBalances()
            for statement in stored {
                let rebuilt = try await buildStatement(connection, workspaceId, number: statement.number, fromMillis: statement.fromMillis, toMillis: statement.toMillis,
                                                       opening: opening)
                if let violation = StatementCuts.violation(statement, rebuilt: rebuilt, workspaceId: workspaceId) { return violation }
                opening = try StatementRows.closing(of: statement)
            }
        }
        return nil
    }

    /// The charge a stored reversal explanation names (`r`), read from its canonical text
    /// (`ChargeExplanation.encoded`) without parsing it as JSON: an edited row that is not
    /// JSON is named by the rule it breaks, never a database error. PostgreSQL 15 has no
    /// test of whether text is JSON.
    static func reversedField(_ column: String) -> String {
        "substring(\(column) from '\"r\":\"([^\"]*)\"')"
    }

    /// Element `index` of the given-back part (`x`) of a stored explanation, read from its
    /// canonical text as `reversedField` is; a number past any amount reads as one past the
    /// largest, never an overflow.
    static func givenBackField(_ index: Int) -> String {
        let pattern = "'\"x\":\\[(\\d{1,19}),(\\d{1,19}),(\\d{1,19})\\]'"
        // LEAST skips a NULL, so the cap applies only to text that matched.
        return "CASE WHEN explanation ~ \(pattern) THEN LEAST((regexp_match(explanation, \(pattern)))[\(index + 1)]::numeric, 1000000000000000001)::bigint END"
    }

    /// Each workspace's hold accounts against what its open holds still hold (SPEC §3.1).
    /// Their balances against their postings, and never below zero, are checked with every
    /// workspace account's.
    private static func holdViolation(_ connection: PostgresConnection) async throws -> LedgerViolation? {
        var held: [String: (allowance: Int64, credits: Int64)] = [:]
        // PostgreSQL sums BIGINTs into NUMERIC.
        let sums = StoreStatement("""
            SELECT s.w, CAST(s.a AS BIGINT), CAST(s.c AS BIGINT) FROM (\(HoldRows.openSums.sql)) AS s(w, a, c) ORDER BY s.w
            """, HoldRows.openSums.values)
        for (workspaceId, allowance, credits) in try await connection.all(sums, { columns in
            (try columns.text(), try columns.int(), try columns.int())
        }) {
            held[workspaceId] = (allowance, credits)
        }
        var accounts: [String: Int64] = [:]
        for try await (id, balance) in try await connection.query(
            "SELECT id, balance_micros FROM accounts WHERE kind IN ('held_allowance', 'held_credits') ORDER BY id", logger: PostgresLedger.logger
        ).decode((String, Int64).self) {
            accounts[id] = balance
        }
        var workspaceIds: [String] = []
        for try await id in try await connection.query("SELECT id FROM workspaces ORDER BY id", logger: PostgresLedger.logger).decode(String.self) {
            workspaceIds.append(id)
        }
        for workspaceId in Set(workspaceIds).union(held.keys).sorted() {
            let sums = held[workspaceId] ?? (0, 0)
            for (kind, expected) in [(AccountKind.heldAllowance, sums.allowance), (.heldCredits, sums.credits)] {
                let account = AccountRef(kind: kind, workspaceId: workspaceId).description
                let balance = accounts[account] ?? 0
                if balance != expected || (accounts[account] == nil && expected != 0) {
                    return .holdMismatch(account, balanceMicros: balance, openHoldsMicros: expected)
                }
            }
        }
        return nil
    }
}
