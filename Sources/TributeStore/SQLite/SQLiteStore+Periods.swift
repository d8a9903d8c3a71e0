import GRDB
import TributeCore

extension SQLiteStore {
    public func closePeriods(limit: Int) async throws -> Int {
        let nowMillis = clock.nowMillis()
        let due = PeriodRows.due(nowMillis: nowMillis, limit: limit)
        // Read first: a sweep that finds nothing never takes the writer.
        let ids = try await pool.read { db in try db.all(due) { try $0.text() } }
        guard !ids.isEmpty else { return 0 }
        return try await write { db in
            var settled = 0
            var failure: (any Error)?
            for id in ids {
                // Each workspace on its own: one that fails leaves the others' closes written.
                do {
                    try db.inSavepoint {
                        var state = try SQLiteLedger.loadWorkspace(db, id: id)
                        try SQLiteLedger.rollPeriodIfNeeded(db, &state, nowMillis: nowMillis)
                        try SQLiteLedger.expireGrantsIfNeeded(db, &state, nowMillis: nowMillis)
                        return .commit
                    }
                    settled += 1
                } catch {
                    failure = failure ?? error
                }
            }
            // Reported (the sweeper logs it) only when nothing else could be settled.
            if settled == 0, let failure { throw failure }
            return settled
        }
    }
}
