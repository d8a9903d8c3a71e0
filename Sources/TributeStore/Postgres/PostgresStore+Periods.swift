import PostgresNIO
import TributeCore

extension PostgresStore {
    public func closePeriods(limit: Int) async throws -> Int {
        let due = PeriodRows.due(nowMillis: clock.nowMillis(), limit: limit)
        let ids = try await read { connection in try await connection.all(due) { try $0.text() } }
        var settled = 0
        var failure: (any Error)?
        for id in ids {
            let clock = self.clock
            // One transaction per workspace, under its row lock; a workspace busy with a
            // batch or another instance's sweep is skipped (whoever holds it settles it).
            do {
                let didSettle = try await transaction { connection in
                    guard var state = try await PostgresLedger.lockWorkspaceUnlessBusy(connection, id: id) else { return false }
                    let nowMillis = clock.nowMillis()
                    guard state.periodHasEnded(nowMillis: nowMillis) || state.hasExpiredGrants(nowMillis: nowMillis) else { return false }
                    try await PostgresLedger.rollPeriodIfNeeded(connection, &state, nowMillis: nowMillis)
                    try await PostgresLedger.expireGrantsIfNeeded(connection, &state, nowMillis: nowMillis)
                    return true
                }
                if didSettle { settled += 1 }
            } catch {
                // One workspace that fails must not keep the others' periods open.
                logger.error("period close failed", metadata: ["workspace": "\(id)", "error": "\(describe(error))"])
                failure = failure ?? error
            }
        }
        if settled == 0, let failure { throw failure }
        return settled
    }
}
