import GRDB
import TributeCore

/// The holds the writer has read or changed, so that a commit or release reads nothing
/// and a hold made earlier in a batch is found before it is written. It holds only holds
/// that exist; past `maxEntries` the ones already written are dropped. Changed ones are
/// written at the end of every batch (`write`), so that bound always frees room.
struct HoldCache {
    let maxEntries: Int

    private var entries: [String: HoldRecord] = [:]
    /// Holds changed since they were last written, with the time of the change.
    private var dirty: [String: Int64] = [:]
    /// The changed holds in the order first changed: new ones get their `seq` (the order
    /// lists show) in the order they were made.
    private var order: [String] = []
    /// Cached holds that have a row: a change to one is an update, not an insert.
    private var stored: Set<String> = []

    init(maxEntries: Int = 50_000) { self.maxEntries = maxEntries }

    /// The hold, cached or stored; `nil` when there is none.
    mutating func hold(_ db: Database, id: String) throws -> HoldRecord? {
        if let cached = entries[id] { return cached }
        guard let row = try db.one(HoldRows.one(id: id), HoldRows.record) else { return nil }
        trimIfFull()
        entries[id] = row
        stored.insert(id)
        return row
    }

    /// Records a hold as a job left it, to be written by `write`.
    mutating func update(_ hold: HoldRecord, atMillis: Int64) {
        if entries[hold.id] == nil { trimIfFull() }
        entries[hold.id] = hold
        if dirty.updateValue(atMillis, forKey: hold.id) == nil { order.append(hold.id) }
    }

    /// The workspace's open holds as `Kernel.settleExpiredHolds` wants them — those whose
    /// time ran out, then the first that has not, in expiry order — as this batch left
    /// them: stored rows replaced by their cached version, and holds made or moved in the
    /// batch added.
    func expiring(_ db: Database, workspaceId: String, nowMillis: Int64) throws -> [HoldRecord] {
        var found: [String: HoldRecord] = [:]
        for stored in try db.all(HoldRows.expiring(workspaceId: workspaceId, nowMillis: nowMillis), HoldRows.record) {
            found[stored.id] = entries[stored.id] ?? stored
        }
        let pending = order.compactMap { entries[$0] }.filter { $0.workspaceId == workspaceId }
        if !pending.isEmpty {
            // A change not yet written may have moved a stored hold's expiry, so the first
            // one after `nowMillis` by stored times may not be the first: among one more
            // than the changed holds, the first unchanged one is there.
            for stored in try db.all(Self.openAfter(workspaceId: workspaceId, nowMillis: nowMillis, limit: pending.count + 1), HoldRows.record)
            where found[stored.id] == nil {
                found[stored.id] = entries[stored.id] ?? stored
            }
            for hold in pending { found[hold.id] = hold }
        }
        return found.values.filter { $0.status == .open }
            .sorted { ($0.expiresAtMillis, $0.id) < ($1.expiresAtMillis, $1.id) }
    }

    /// Writes every changed hold into the current transaction: an update of the columns a
    /// step changes for one read from its row, an upsert for the others; each statement prepared
    /// once a batch and bound through SQLite's C API, since a hold and its commit each write.
    mutating func write(_ db: Database) throws {
        var insert: RawStatement?, update: RawStatement?
        for id in order {
            guard let hold = entries[id], let atMillis = dirty[id] else { continue }
            if stored.contains(id) {
                var statement = try update ?? RawStatement(db, sql: HoldRows.updateSQL)
                for value in HoldRows.changedValues(hold, atMillis: atMillis) { statement.bind(value) }
                try statement.step()
                update = statement
            } else {
                // An upsert: a hold read through `expiring` has a row this cache did not see.
                var statement = try insert ?? RawStatement(db, sql: HoldRows.upsertSQL)
                for value in HoldRows.values(hold) { statement.bind(value) }
                statement.bind(atMillis)
                try statement.step()
                insert = statement
                stored.insert(id)
            }
        }
        dirty.removeAll(keepingCapacity: true)
        order.removeAll(keepingCapacity: true)
    }

    mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
        stored.removeAll(keepingCapacity: true)
        dirty.removeAll(keepingCapacity: true)
        order.removeAll(keepingCapacity: true)
    }

    /// Drops every hold already written; changed ones stay until the end of the batch.
    private mutating func trimIfFull() {
        guard entries.count >= maxEntries else { return }
        entries = entries.filter { dirty[$0.key] != nil }
        stored = stored.filter { entries[$0] != nil }
    }

    /// The workspace's open holds that expire after `nowMillis`, soonest first.
    private static func openAfter(workspaceId: String, nowMillis: Int64, limit: Int) -> StoreStatement {
        StoreStatement("SELECT \(HoldRows.columns) FROM holds WHERE workspace_id = ? AND status = 'open' AND expires_at > ? ORDER BY expires_at, id LIMIT ?",
                       [.text(workspaceId), .int(nowMillis), .int(Int64(limit))])
    }
}

extension RawStatement {
    mutating func bind(_ value: StoreValue) {
        switch value {
        case .int(let int): bind(int)
        case .text(let text): bind(text)
        case .bool(let bool): bind(bool)
        }
    }
}
