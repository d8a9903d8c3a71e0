import GRDB
import TributeCore

/// The budgets the writer has read, per workspace. It holds only budgets that exist: a
/// scope without one is never remembered, so callers that send a fresh run, user or agent
/// id on every call cost no memory. A workspace with few budgets is loaded whole, so that
/// such scopes cost no query either; one with many is read scope by scope.
struct BudgetCache {
    /// A workspace with at most this many budgets is cached whole.
    static let wholeWorkspaceLimit = 256

    /// Past this many cached budgets, those already written are dropped.
    let maxEntries: Int

    private struct Entry {
        /// Whether `budgets` is every budget of the workspace (else: those read so far).
        var complete: Bool
        var budgets: [BudgetScope: StoredBudget]
    }

    private var entries: [String: Entry] = [:]
    private(set) var count = 0
    /// Budgets whose use changed since they were last written.
    private(set) var dirty: Set<BudgetKey> = []

    init(maxEntries: Int = 100_000) { self.maxEntries = maxEntries }

    /// The stored budgets of `scopes` that exist (use not yet started afresh for a new period).
    mutating func budgets(_ db: Database, workspaceId: String, scopes: [BudgetScope]) throws -> [StoredBudget] {
        if scopes.isEmpty { return [] }
        if count >= maxEntries { trim() }
        var entry = try entries[workspaceId] ?? load(db, workspaceId: workspaceId)
        var found: [StoredBudget] = []
        for scope in scopes {
            if let cached = entry.budgets[scope] {
                found.append(cached)
            } else if !entry.complete, let loaded = try SQLiteStore.loadStoredBudget(db, workspaceId: workspaceId, scope: scope) {
                entry.budgets[scope] = loaded
                count += 1
                found.append(loaded)
            }
        }
        entries[workspaceId] = entry
        return found
    }

    /// Records a budget's new use, to be written by `flush`.
    mutating func update(_ stored: StoredBudget, workspaceId: String) {
        let scope = stored.budget.scope
        if entries[workspaceId]?.budgets.updateValue(stored, forKey: scope) == nil {
            if entries[workspaceId] == nil { entries[workspaceId] = Entry(complete: false, budgets: [:]) }
            entries[workspaceId]?.budgets[scope] = stored
            count += 1
        }
        dirty.insert(BudgetKey(workspaceId: workspaceId, scope: scope))
    }

    /// The budget behind a dirty key.
    func stored(_ key: BudgetKey) -> StoredBudget? { entries[key.workspaceId]?.budgets[key.scope] }

    mutating func markWritten() { dirty.removeAll(keepingCapacity: true) }

    mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
        dirty.removeAll(keepingCapacity: true)
        count = 0
    }

    /// Every budget of the workspace if it has few, else an empty partial entry.
    private mutating func load(_ db: Database, workspaceId: String) throws -> Entry {
        let all = try SQLiteStore.loadStoredBudgets(db, workspaceId: workspaceId, limit: BudgetCache.wholeWorkspaceLimit + 1)
        guard all.count <= BudgetCache.wholeWorkspaceLimit else { return Entry(complete: false, budgets: [:]) }
        count += all.count
        return Entry(complete: true, budgets: Dictionary(all.map { ($0.budget.scope, $0) }, uniquingKeysWith: { first, _ in first }))
    }

    /// Drops every budget already written; dirty ones stay (they are written at the end of
    /// the batch), in entries no longer complete.
    private mutating func trim() {
        var kept: [String: Entry] = [:]
        for key in dirty {
            guard let stored = stored(key) else { continue }
            kept[key.workspaceId, default: Entry(complete: false, budgets: [:])].budgets[key.scope] = stored
        }
        entries = kept
        count = dirty.count
    }
}

struct BudgetKey: Hashable {
    var workspaceId: String
    var scope: BudgetScope
}
