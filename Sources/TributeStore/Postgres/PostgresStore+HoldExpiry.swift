import Logging
import PostgresNIO
import TributeCore

/// The hold sweeper (SPEC §3.1: expiry is written within seconds) on PostgreSQL, where
/// every instance runs one: each workspace is settled in a transaction of its own, and a
/// workspace whose row another transaction holds is skipped — a batch of its calls settles
/// its expired holds itself, and another instance's sweeper may be on it.
extension PostgresStore {
    public func expireHolds(limit: Int) async throws -> Int {
        let nowMillis = clock.nowMillis()
        let due = try await read { connection in
            try await connection.all(HoldRows.dueWorkspaces(nowMillis: nowMillis, limit: limit)) { try $0.text() }
        }
        var expired = 0
        var failure: (any Error)?
        for workspaceId in due {
            // One workspace that fails must not keep the others' holds open.
            do {
                expired += try await expireHolds(workspaceId: workspaceId)
            } catch {
                logger.error("hold expiry failed", metadata: ["workspace": "\(workspaceId)", "error": "\(describe(error))"])
                failure = failure ?? error
            }
        }
        if expired == 0, let failure { throw failure }
        return expired
    }

    /// Settles the workspace's expired holds (`Kernel.expireHolds`) unless its row is busy.
    /// - Returns: how many expired.
    private func expireHolds(workspaceId: String) async throws -> Int {
        let ids = Kernel.Ids.make()
        let clock = self.clock
        return try await transaction { connection in
            guard let state = try await PostgresLedger.lockWorkspaceUnlessBusy(connection, id: workspaceId) else { return 0 }
            let nowMillis = clock.nowMillis()
            let holds = try await connection.all(HoldRows.expiring(workspaceId: workspaceId, nowMillis: nowMillis), HoldRows.record)
            guard holds.contains(where: { $0.hasExpired(nowMillis: nowMillis) }) else { return 0 }
            let ledger = try await PostgresStore.holdLedger(connection, state: state, holds: holds)
            let expiring = holds.map { ExpiringHold(hold: $0, budgets: ledger.budgets(of: $0)) }
            guard let (effects, _) = try Kernel.expireHolds(
                state: state, grants: ledger.grants, holds: expiring, system: ledger.system, ids: ids, nowMillis: nowMillis
            ) else { return 0 }
            try await PostgresBatchWrites.write(effects, connection, nowMillis: nowMillis)
            return effects.holds.filter { $0.status == .expired }.count
        }
    }
}
