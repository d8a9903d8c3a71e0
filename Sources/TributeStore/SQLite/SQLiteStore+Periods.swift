import GRDB
import TributeCore

extension SQLiteStore {
    public func closePeriods(limit: Int) async throws -> Int {
        let nowMillis = clock.nowMillis()
        let ended = PeriodRows.ended(nowMillis: nowMillis, limit: limit)
        // Read first: a sweep that finds nothing never takes the writer.
        let ids = try await pool.read { db in try db.all(ended) { try $0.text() } }
        guard !ids.isEmpty else { return 0 }
        return try await write { db in
            var closed = 0
            for id in ids {
                var state = try SQLiteLedger.loadWorkspace(db, id: id)
                guard state.periodHasEnded(nowMillis: nowMillis) else { continue }
                try SQLiteLedger.rollPeriodIfNeeded(db, &state, nowMillis: nowMillis)
                closed += 1
            }
            return closed
        }
    }
}
