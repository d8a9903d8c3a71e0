import Foundation
import GRDB

/// Copies the write-ahead log back into the database file from its own connection and
/// thread, a few times a second, so that the writer's commits seldom pay for it.
///
/// SQLite checkpoints inside the commit that takes the log past 1,000 pages, and those
/// were the slowest batches. That automatic checkpoint stays on: it is the one that lets
/// the log start over (a checkpoint beside a busy writer is always a little behind, so
/// the log would grow without end). But it now finds nearly every page already copied.
///
/// A passive checkpoint never blocks the writer or readers. Durability does not depend on
/// it: a committed batch is already in the log, synced.
final class Checkpointer: @unchecked Sendable {
    private let connection: DatabaseQueue
    private let condition = NSCondition()
    private var stopped = false
    private let intervalSeconds: Double

    init(path: String, intervalSeconds: Double = 0.2) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        connection = try DatabaseQueue(path: path, configuration: configuration)
        self.intervalSeconds = intervalSeconds
        let thread = Thread { self.run() }
        thread.name = "tribute-checkpoint"
        thread.start()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            if !stopped { _ = condition.wait(until: Date(timeIntervalSinceNow: intervalSeconds)) }
            let done = stopped
            condition.unlock()
            if done { return }
            // A failed checkpoint (the disk, say) leaves the log as it was; the next try
            // or the writer's own commit reports real trouble.
            _ = try? connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        }
    }
}
