import GRDB
import TributeCore

extension SQLiteStore {
    /// Checks, in one read snapshot: every transaction sums to zero per unit and has two or
    /// more postings; every stored balance equals the sum of its postings; no workspace
    /// account is negative; every wallet equals its grants' unspent credits; and the decision
    /// hash chain is unbroken.
    public func verifyLedger() async throws -> LedgerReport {
        try await pool.read { db in
            let accounts = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM accounts") ?? 0
            let transactions = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM transactions") ?? 0
            let postings = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM postings") ?? 0
            let decisions = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM decisions") ?? 0
            func report(_ violation: String?) -> LedgerReport {
                LedgerReport(accounts: accounts, transactions: transactions, postings: postings, decisions: decisions, firstViolation: violation)
            }
            if let row = try Row.fetchOne(db, sql: """
                SELECT t.id, p.unit, SUM(p.amount_micros) FROM transactions t JOIN postings p ON p.transaction_seq = t.seq
                GROUP BY t.seq, p.unit HAVING SUM(p.amount_micros) <> 0 LIMIT 1
                """) {
                return report("transaction \(try row.decode(atIndex: 0) as String) does not sum to zero in \(try row.decode(atIndex: 1) as String) (off by \(Amount(micros: try row.decode(atIndex: 2))))")
            }
            if let id = try String.fetchOne(db, sql: """
                SELECT t.id FROM transactions t LEFT JOIN postings p ON p.transaction_seq = t.seq
                GROUP BY t.seq HAVING COUNT(p.transaction_seq) < 2 LIMIT 1
                """) {
                return report("transaction \(id) has fewer than two postings")
            }
            if let row = try Row.fetchOne(db, sql: """
                SELECT a.id, a.balance_micros, COALESCE(SUM(p.amount_micros), 0) AS total FROM accounts a
                LEFT JOIN postings p ON p.account_id = a.id GROUP BY a.id HAVING a.balance_micros <> total LIMIT 1
                """) {
                return report("account \(try row.decode(atIndex: 0) as String) has balance \(Amount(micros: try row.decode(atIndex: 1))) but its postings sum to \(Amount(micros: try row.decode(atIndex: 2)))")
            }
            if let row = try Row.fetchOne(db, sql: "SELECT id, balance_micros FROM accounts WHERE allows_negative = 0 AND balance_micros < 0 LIMIT 1") {
                return report("account \(try row.decode(atIndex: 0) as String) is negative: \(Amount(micros: try row.decode(atIndex: 1)))")
            }
            if let row = try Row.fetchOne(db, sql: """
                SELECT a.workspace_id, a.balance_micros, COALESCE((SELECT SUM(remaining_micros) FROM credit_grants g WHERE g.workspace_id = a.workspace_id), 0)
                FROM accounts a WHERE a.kind = 'wallet'
                AND a.balance_micros <> COALESCE((SELECT SUM(remaining_micros) FROM credit_grants g WHERE g.workspace_id = a.workspace_id), 0) LIMIT 1
                """) {
                return report("wallet of \(try row.decode(atIndex: 0) as String) holds \(Amount(micros: try row.decode(atIndex: 1))) but its grants hold \(Amount(micros: try row.decode(atIndex: 2)))")
            }
            if let id = try String.fetchOne(db, sql: "SELECT id FROM decisions WHERE success <> (reason = 'APPROVED') LIMIT 1") {
                return report("decision \(id) says success where its reason says otherwise: the row was altered")
            }
            var previous = DecisionRecord.genesisHash
            let cursor = try Row.fetchCursor(db, sql: "SELECT seq, \(SQLiteStore.decisionColumns), prev_hash, hash FROM decisions ORDER BY seq")
            while let row = try cursor.next() {
                let record = try SQLiteStore.decision(from: row, offset: 1)
                let storedPrevious: String = try row.decode(atIndex: 15)
                let stored: String = try row.decode(atIndex: 16)
                guard storedPrevious == previous, record.chainHash(previous: previous) == stored else {
                    return report("decision \(record.id) breaks the hash chain: the row or one before it was altered")
                }
                previous = stored
            }
            return report(nil)
        }
    }
}
