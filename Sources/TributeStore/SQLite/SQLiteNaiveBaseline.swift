import GRDB

/// The benchmark's baseline: what a team would write first. One SQLite transaction per
/// debit (UPDATE the wallet, INSERT a ledger row, COMMIT), with the same durability as the
/// store (WAL, `synchronous = FULL`), so that the comparison measures group commit.
public final class SQLiteNaiveBaseline: @unchecked Sendable {
    private let queue: DatabaseQueue

    public init(path: String, initialBalance: Int64) throws {
        queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS wallets (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0));
                CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY, wallet_id INTEGER NOT NULL, amount INTEGER NOT NULL, created_at INTEGER NOT NULL);
                INSERT OR REPLACE INTO wallets (id, balance) VALUES (1, \(initialBalance));
                """)
        }
    }

    /// One debit in its own transaction; `false` when the wallet cannot afford it.
    public func debit(amount: Int64, atMillis: Int64) throws -> Bool {
        try queue.write { db in
            try db.execute(sql: "UPDATE wallets SET balance = balance - ? WHERE id = 1 AND balance >= ?", arguments: [amount, amount])
            guard db.changesCount == 1 else { return false }
            try db.execute(sql: "INSERT INTO ledger (wallet_id, amount, created_at) VALUES (1, ?, ?)", arguments: [-amount, atMillis])
            return true
        }
    }
}
