import Logging
import ServiceLifecycle
import TributeCore
import TributeStore

/// Records the expiry of holds no call touched (SPEC §3.1), every `intervalMillis` in every
/// `tribute serve` (`TRIBUTE_HOLD_SWEEP_MILLIS`, default 1,000; 0 runs none), and closes the
/// billing periods that ended in workspaces no call touched (SPEC §3.9) once a minute.
///
/// A hold's amounts are free after its `expiresAt` whether or not this has run: the next
/// call on its workspace releases it first. The sweep writes the release for workspaces
/// that see no call, and sends their `hold.expired` events. The store's step is safe to
/// run on every instance at once (on PostgreSQL, a workspace another instance is sweeping
/// is skipped), and a failure waits for the next round: it is logged, never fatal.
public struct HoldSweeper: Service {
    let store: any LedgerWriting
    let intervalMillis: Int64
    let logger: Logger

    /// Workspaces one store step sweeps at most, so that a backlog never holds the writer long.
    static let workspacesPerStep = 100
    /// Steps one round takes at most while they find expired holds, before it sleeps.
    static let stepsPerRound = 10
    public static let defaultIntervalMillis: Int64 = 1_000
    /// How often periods are closed: their read scans every workspace.
    static let periodCloseIntervalMillis: Int64 = 60_000

    public init(store: any LedgerWriting, intervalMillis: Int64 = defaultIntervalMillis, logger: Logger) {
        self.store = store
        self.intervalMillis = max(10, intervalMillis)
        self.logger = logger
    }

    /// Runs until the service group shuts down; a shutdown is a normal end, not an error.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var failures = 0
            var rounds: Int64 = 0
            while !Task.isCancelled {
                failures = await sweep(failuresBefore: failures)
                if rounds % max(1, HoldSweeper.periodCloseIntervalMillis / intervalMillis) == 0 { await closePeriods() }
                rounds += 1
                try? await Task.sleep(for: .milliseconds(intervalMillis))
            }
        }
    }

    /// One round: store steps while they expire holds, up to `stepsPerRound`.
    /// - Returns: the failures in a row so far, 0 after a round that worked.
    func sweep(failuresBefore: Int) async -> Int {
        var expired = 0
        do {
            for _ in 0..<HoldSweeper.stepsPerRound where !Task.isCancelled {
                let count = try await store.expireHolds(limit: HoldSweeper.workspacesPerStep)
                expired += count
                if count == 0 { break }
            }
        } catch {
            // Once a minute at most while the database stays down, not once a round.
            let failures = failuresBefore + 1
            if failures == 1 || failures % max(1, Int(60_000 / intervalMillis)) == 0 {
                logger.warning("hold sweep failed", metadata: ["error": "\(type(of: error))", "failures": "\(failures)"])
            }
            return failures
        }
        if expired > 0 { logger.info("holds expired", metadata: ["count": "\(expired)"]) }
        return 0
    }

    /// Closes ended periods, `workspacesPerStep` at a time, up to `stepsPerRound` steps; a
    /// failure waits for the next minute (a call on the workspace closes it anyway).
    func closePeriods() async {
        var closed = 0
        do {
            for _ in 0..<HoldSweeper.stepsPerRound where !Task.isCancelled {
                let count = try await store.closePeriods(limit: HoldSweeper.workspacesPerStep)
                closed += count
                if count < HoldSweeper.workspacesPerStep { break }
            }
        } catch {
            logger.warning("period close failed", metadata: ["error": "\(type(of: error))"])
        }
        if closed > 0 { logger.info("periods closed", metadata: ["workspaces": "\(closed)"]) }
    }
}
