import TributeCore

/// The open holds this instance's batches wrote, each with the version of its row (the
/// `xmin` of the transaction that wrote it). A batch that commits or releases one of them
/// takes it from here instead of reading and decoding it before the locks; under the locks
/// it still checks that the row is that version (another instance, an extension or the
/// sweeper may have moved it since) and reads it again when it is not. So nothing a step
/// decides rests on this cache; it only saves a read.
///
/// Bounded: holds past their expiry make room first, and a full cache takes no more.
final class PostgresHoldCache: @unchecked Sendable {
    struct Entry {
        var version: String
        var hold: HoldRecord
    }

    let capacity: Int
    private let lock = Lock()
    // Guarded by `lock`.
    private var entries: [String: Entry] = [:]
    private var nextSweepAtMillis: Int64 = .min

    init(capacity: Int = 65_536) {
        self.capacity = capacity
    }

    /// The cached holds among `ids`.
    func entries(_ ids: some Sequence<String>) -> [String: Entry] {
        lock.withLock {
            var found: [String: Entry] = [:]
            for id in ids { if let entry = entries[id] { found[id] = entry } }
            return found
        }
    }

    /// The holds a committed transaction wrote, as it wrote them: the open ones are kept,
    /// the closed ones forgotten.
    func remember(_ holds: [HoldRecord], version: String, nowMillis: Int64) {
        lock.withLock {
            for hold in holds {
                guard hold.status == .open else {
                    entries.removeValue(forKey: hold.id)
                    continue
                }
                if entries.count >= capacity && entries[hold.id] == nil {
                    // A full cache is swept of expired holds at most once a second.
                    guard nowMillis >= nextSweepAtMillis else { continue }
                    nextSweepAtMillis = nowMillis + 1_000
                    entries = entries.filter { $0.value.hold.expiresAtMillis > nowMillis }
                    guard entries.count < capacity else { continue }
                }
                entries[hold.id] = Entry(version: version, hold: hold)
            }
        }
    }

    /// Drops holds whose cached version turned out stale.
    func forget(_ ids: [String]) {
        guard !ids.isEmpty else { return }
        lock.withLock { for id in ids { entries.removeValue(forKey: id) } }
    }

    var count: Int { lock.withLock { entries.count } }
}
