import GRDB
import TributeCore

extension SQLiteStore {
    /// Checks, in one read snapshot, each `LedgerRule` in turn: references, balanced
    /// transactions, decisions' transactions, balances equal to their postings, no negative
    /// workspace account (hold accounts included), wallets equal to their grants, hold
    /// accounts equal to their open holds, every workspace's decision chain
    /// up to its stored head, no allowance past the plan, every transaction's legs what its
    /// decision records, and the named checkpoints.
    ///
    /// On a connection of its own whose temporary store is on disk: the checks' sorts and
    /// joins over every posting would otherwise hold the whole ledger's keys in memory (90 MiB
    /// resident at 600,000 postings, growing with them); on disk they leave memory flat.
    public func verifyLedger(checkpoints digests: [String]) async throws -> LedgerReport {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA temp_store = FILE")
            try db.execute(sql: "PRAGMA cache_size = -8192")
        }
        let connection = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? connection.close() }
        return try await connection.read { db in
            func count(_ table: String) throws -> Int { try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
            // Transactions: the rows and the transfers decisions carry; postings: the rows.
            let carried = try Int.fetchOne(db, sql: AuditRows.carriedCount) ?? 0
            var report = LedgerReport(accounts: try count("accounts"), transactions: try count("transactions") + carried, postings: try count("postings"),
                                      decisions: try count("decisions"), violation: nil)
            report.violation = try SQLiteStore.firstViolation(db, checkpoints: digests)
            if report.violation == nil { report.checkpoints = digests }
            return report
        }
    }

    /// A workspace's hold account that differs from what its open holds still hold.
    private static func holdViolation(_ db: Database) throws -> LedgerViolation? {
        var open: [String: (allowance: Int64, credits: Int64)] = [:]
        for sums in try db.all(HoldRows.openSums, { (columns: inout SQLiteColumns) in (try columns.text(), try columns.int(), try columns.int()) }) {
            open[sums.0] = (sums.1, sums.2)
        }
        let accounts = try Row.fetchCursor(db, sql: """
            SELECT id, workspace_id, kind, balance_micros FROM accounts WHERE kind IN (?, ?) ORDER BY id
            """, arguments: [AccountKind.heldAllowance.rawValue, AccountKind.heldCredits.rawValue])
        while let row = try accounts.next() {
            let workspaceId: String = try row.decode(atIndex: 1), balance: Int64 = try row.decode(atIndex: 3)
            let held = open[workspaceId] ?? (0, 0)
            let expected = (try row.decode(atIndex: 2) as String) == AccountKind.heldAllowance.rawValue ? held.allowance : held.credits
            if balance != expected { return .holdMismatch(try row.decode(atIndex: 0), balanceMicros: balance, openHoldsMicros: expected) }
        }
        return nil
    }

    private static func firstViolation(_ db: Database, checkpoints digests: [String]) throws -> LedgerViolation? {
        if let row = try Row.fetchOne(db, sql: """
            SELECT p.transaction_seq, p.account_id FROM postings p LEFT JOIN transactions t ON t.seq = p.transaction_seq
            LEFT JOIN accounts a ON a.id = p.account_id WHERE t.seq IS NULL OR a.id IS NULL LIMIT 1
            """) {
            return .danglingPosting(transaction: "#\(try row.decode(atIndex: 0) as Int64)", account: try row.decode(atIndex: 1))
        }
        if let id = try String.fetchOne(db, sql: """
            SELECT t.id FROM transactions t LEFT JOIN workspaces w ON w.id = t.workspace_id WHERE t.workspace_id IS NOT NULL AND w.id IS NULL LIMIT 1
            """) {
            return .danglingTransaction(id)
        }
        if let row = try Row.fetchOne(db, sql: """
            SELECT t.id, p.unit, SUM(p.amount_micros) FROM transactions t JOIN postings p ON p.transaction_seq = t.seq
            GROUP BY t.seq, p.unit HAVING SUM(p.amount_micros) <> 0 LIMIT 1
            """) {
            return .unbalanced(try row.decode(atIndex: 0), unit: try row.decode(atIndex: 1), offMicros: try row.decode(atIndex: 2))
        }
        if let id = try String.fetchOne(db, sql: """
            SELECT t.id FROM transactions t LEFT JOIN postings p ON p.transaction_seq = t.seq GROUP BY t.seq HAVING COUNT(p.transaction_seq) < 2 LIMIT 1
            """) {
            return .tooFewPostings(id)
        }
        if let row = try Row.fetchOne(db, sql: """
            SELECT d.id, d.transaction_id FROM decisions d LEFT JOIN transactions t ON t.id = d.transaction_id
            WHERE d.transaction_id IS NOT NULL AND t.id IS NULL LIMIT 1
            """) {
            return .missingTransaction(decision: try row.decode(atIndex: 0), transaction: try row.decode(atIndex: 1))
        }
        if let row = try Row.fetchOne(db, sql: """
            SELECT t.id, t.decision_id FROM transactions t LEFT JOIN decisions d ON d.id = t.decision_id
            WHERE t.decision_id IS NOT NULL AND d.id IS NULL LIMIT 1
            """) {
            return .missingDecision(transaction: try row.decode(atIndex: 0), decision: try row.decode(atIndex: 1))
        }
        // A reversal names the charge its (hashed) decision records, and no charge twice.
        if let id = try String.fetchOne(db, sql: """
            SELECT t.id FROM transactions t LEFT JOIN decisions d ON d.id = t.decision_id
            WHERE (t.kind = 'reversal' OR t.reverses IS NOT NULL OR d.reason = 'REVERSED')
              AND (t.kind <> 'reversal' OR d.reason IS NOT 'REVERSED' OR t.reverses IS NULL
                   OR t.reverses IS NOT \(SQLiteStore.jsonField("d.explanation", "$.r")))
            LIMIT 1
            """) {
            return .reversalMismatch(id)
        }
        if let id = try String.fetchOne(db, sql: """
            SELECT MIN(id) FROM decisions WHERE reason = 'REVERSED' GROUP BY \(SQLiteStore.jsonField("explanation", "$.r")) HAVING COUNT(*) > 1 LIMIT 1
            """) {
            return .reversalMismatch(id)
        }
        if let id = try String.fetchOne(db, sql: AuditRows.strayTransaction) {
            return .decisionMismatch(id)
        }
        let totals = AuditRows.accountTotals { SQLiteStore.jsonField("explanation", "$.x[\($0)]") }
        if let row = try Row.fetchOne(db, sql: """
            \(totals)
            \(AuditRows.missingAccounts)
            UNION ALL SELECT 1, a.id, a.balance_micros, COALESCE(p.total, 0) FROM accounts a
            LEFT JOIN totals p ON p.account_id = a.id WHERE a.balance_micros <> COALESCE(p.total, 0)
            ORDER BY 1 LIMIT 1
            """) {
            let account: String = try row.decode(atIndex: 1)
            if (try row.decode(atIndex: 0) as Int64) == 0 { return .danglingPosting(transaction: "carried by a decision", account: account) }
            return .balanceMismatch(account, balanceMicros: try row.decode(atIndex: 2), postingsMicros: try row.decode(atIndex: 3))
        }
        if let row = try Row.fetchOne(db, sql: "SELECT id, balance_micros FROM accounts WHERE allows_negative = 0 AND balance_micros < 0 LIMIT 1") {
            return .negative(try row.decode(atIndex: 0), balanceMicros: try row.decode(atIndex: 1))
        }
        if let row = try Row.fetchOne(db, sql: """
            SELECT a.workspace_id, a.balance_micros, COALESCE((SELECT SUM(remaining_micros) FROM credit_grants g WHERE g.workspace_id = a.workspace_id), 0)
            FROM accounts a WHERE a.kind = 'wallet'
            AND a.balance_micros <> COALESCE((SELECT SUM(remaining_micros) FROM credit_grants g WHERE g.workspace_id = a.workspace_id), 0) LIMIT 1
            """) {
            return .walletMismatch(try row.decode(atIndex: 0), walletMicros: try row.decode(atIndex: 1), grantsMicros: try row.decode(atIndex: 2))
        }
        if let violation = try holdViolation(db) { return violation }
        if let violation = try allowanceViolation(db) { return violation }
        if let id = try String.fetchOne(db, sql: "SELECT id FROM decisions WHERE success <> (reason = 'APPROVED') LIMIT 1") {
            return .successAltered(id)
        }
        var checkpoints: [LedgerCheckpoint] = []
        for digest in digests {
            let text = try String.fetchOne(db, sql: "SELECT heads FROM ledger_checkpoints WHERE digest = ?", arguments: [digest])
            switch LedgerCheckpoint.proven(digest: digest, text: text) {
            case .success(let checkpoint): checkpoints.append(checkpoint)
            case .failure(let violation): return violation
            }
        }
        var audit = ChainAudit(legacyEndSeq: try Int64.fetchOne(db, sql: "SELECT legacy_chain_end_seq FROM ledger_meta") ?? 0, checkpoints: checkpoints)
        // Every decision, through SQLite's C API (`RawRows`): the walk is the verify's
        // longest pass, and GRDB's generic decoding cost more than the hashing.
        var chainViolation: LedgerViolation?
        try RawRows(db, sql: "SELECT seq, \(SQLiteStore.decisionColumns), prev_hash, hash FROM decisions ORDER BY seq").forEach { columns in
            let seq = try columns.int()
            let record = try DecisionRows.decision(&columns)
            let previous = try columns.optionalText()
            guard let hash = try columns.hashText() else { throw StoreFault.unknownValue("decisions.hash", "NULL") }
            chainViolation = audit.check(seq: seq, record, storedPrevious: previous, storedHash: hash)
            return chainViolation == nil
        }
        if let chainViolation { return chainViolation }
        var heads: [String: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, decision_head FROM workspaces") { heads[try row.decode(atIndex: 0)] = try row.decode(atIndex: 1) }
        if let violation = audit.finish(storedHeads: heads) { return violation }
        // After the chain: the decisions the legs are checked against are proven unaltered.
        if let violation = try legsViolation(db) { return violation }
        return try statementViolation(db)
    }

    /// A stored statement its rows no longer build (`StatementCuts.violation`).
    private static func statementViolation(_ db: Database) throws -> LedgerViolation? {
        let workspaceIds = try String.fetchAll(db, sql: "SELECT DISTINCT workspace_id FROM statements ORDER BY workspace_id")
        for workspaceId in workspaceIds {
            let stored = try db.all(StatementRows.stored(workspaceId), StatementRows.decodeStored)
            var opening = CreditStatement.CategoryBalances()
            for statement in stored {
                let rebuilt = try buildStatement(db, workspaceId, number: statement.number, fromMillis: statement.fromMillis, toMillis: statement.toMillis, opening: opening)
                if let violation = StatementCuts.violation(statement, rebuilt: rebuilt, workspaceId: workspaceId) { return violation }
                opening = try StatementRows.closing(of: statement)
            }
        }
        return nil
    }

    /// A field of a stored explanation, `NULL` when the text is not JSON: an edited row is
    /// named by the rule it breaks (its hash, its balances), never a database error.
    static func jsonField(_ column: String, _ path: String) -> String {
        "CASE WHEN json_valid(\(column)) THEN json_extract(\(column), '\(path)') END"
    }

    /// A workspace with more allowance than its plan grants (`AllowanceAudit`).
    private static func allowanceViolation(_ db: Database) throws -> LedgerViolation? {
        let rows = try Row.fetchCursor(db, sql: AuditRows.allowances.sql)
        while let row = try rows.next() {
            if let violation = AllowanceAudit.violation(
                workspaceId: try row.decode(atIndex: 0), allowanceMicros: try row.decode(atIndex: 1), periodUsedMicros: try row.decode(atIndex: 2),
                heldInPeriodMicros: try row.decode(atIndex: 4), planAllowanceMicros: try row.decode(atIndex: 3),
                rollover: try row.decode(atIndex: 5)) {
                return violation
            }
        }
        return nil
    }

    /// A decision's transaction whose legs differ from what the decision records (`DecisionLegs`).
    private static func legsViolation(_ db: Database) throws -> LedgerViolation? {
        var walk = DecisionLegsWalk()
        let rows = try Row.fetchCursor(db, sql: AuditRows.decisionLegs(postingsJoin: "p.transaction_seq = t.seq"))
        while let row = try rows.next() {
            let recorded = AuditRows.recorded(
                id: try row.decode(atIndex: 1), kind: try row.decode(atIndex: 2), reason: try row.decode(atIndex: 3),
                fromAllowanceMicros: try row.decode(atIndex: 4), creditsMicros: try row.decode(atIndex: 5), explanation: try row.decode(atIndex: 6))
            if let violation = walk.add(seq: try row.decode(atIndex: 0), decision: recorded, accountKind: try row.decode(atIndex: 7),
                                        owner: try row.decode(atIndex: 8), amountMicros: try row.decode(atIndex: 9)) {
                return violation
            }
        }
        return walk.finish()
    }
}
