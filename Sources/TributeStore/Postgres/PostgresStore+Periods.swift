import PostgresNIO
import TributeCore

extension PostgresStore {
    public func closePeriods(limit: Int) async throws -> Int {
        let ended = PeriodRows.ended(nowMillis: clock.nowMillis(), limit: limit)
        let ids = try await read { connection in try await connection.all(ended) { try $0.text() } }
        var closed = 0
        for id in ids {
            let clock = self.clock
            // One transaction per workspace, under its row lock; a workspace busy with a
            // batch or another instance's sweep is skipped (whoever holds it closes it).
            let didClose = try await transaction { connection in
                guard var state = try await PostgresLedger.lockWorkspaceUnlessBusy(connection, id: id) else { return false }
                let nowMillis = clock.nowMillis()
                guard state.periodHasEnded(nowMillis: nowMillis) else { return false }
                try await PostgresLedger.rollPeriodIfNeeded(connection, &state, nowMillis: nowMillis)
                return true
            }
            if didClose { closed += 1 }
        }
        return closed
    }
}
