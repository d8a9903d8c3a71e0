import PostgresNIO
import TributeCore

/// Holds in a batch. A call after a hold's expiry releases it first (SPEC §3.1), so the
/// batch reads the holds of the workspaces whose soonest hold expiry has passed and keeps
/// them, as its jobs settle them, for the jobs after; and it reads the holds its commits
/// and releases move.
extension PostgresBatch {
    /// What the holds read need from the batch's main read.
    struct HoldNeeds {
        /// The budget scopes the holds reserved use of.
        var scopes: Set<String> = []
        /// The grants the holds drew from, read even used up.
        var drawnGrantIds: [String] = []
    }

    /// The holds the batch commits or releases, taken from the cache or read before the
    /// locks (their decoding is no time other batches wait), with each row's version
    /// (`xmin`) to tell whether it changed before the locks were taken.
    struct Steps {
        var holds: [String: HoldRecord] = [:]
        var versions: [String: String] = [:]
    }

    /// 1. The holds the batch's steps move, and the workspace of each job: its call's, or
    ///    the hold's it moves. A hold that does not exist, or whose workspace the caller
    ///    may not touch, is not found.
    static func resolveSteps(
        _ jobs: [PostgresBatcher.Job], _ results: inout Results, _ connection: PostgresConnection, cache: PostgresHoldCache
    ) async throws -> ([String?], Steps) {
        var steps = Steps()
        let wanted = Set(jobs.compactMap { $0.work.step?.holdId })
        for (id, entry) in cache.entries(wanted) {
            steps.holds[id] = entry.hold
            steps.versions[id] = entry.version
        }
        let holdIds = wanted.filter { steps.holds[$0] == nil }.sorted()
        if !holdIds.isEmpty {
            let placeholders = Array(repeating: "?", count: holdIds.count).joined(separator: ", ")
            let statement = StoreStatement("SELECT xmin::text, \(HoldRows.columns) FROM holds WHERE id IN (\(placeholders))", holdIds.map { .text($0) })
            for (version, hold) in try await connection.all(statement, { columns in (try columns.text(), try HoldRows.record(&columns)) }) {
                steps.holds[hold.id] = hold
                steps.versions[hold.id] = version
            }
        }
        let workspaceOf: [String?] = jobs.enumerated().map { index, job in
            if let request = job.work.request { return request.workspaceId }
            guard let step = job.work.step else { return nil }
            guard let workspaceId = steps.holds[step.holdId]?.workspaceId, step.canAccess(workspaceId) else {
                results[index] = .failure(TributeError.holdNotFound(step.holdId))
                return nil
            }
            return workspaceId
        }
        return (workspaceOf, steps)
    }

    /// Reads again the holds whose row is no longer the version taken before the locks
    /// (another batch or instance moved it meanwhile); one no longer there is not found.
    /// What a hold drew from and the budgets it reserved only shrink, so the grants and
    /// budgets read for the first version serve the new one.
    static func refresh(_ changed: [String], into state: inout State, _ connection: PostgresConnection) async throws {
        guard !changed.isEmpty else { return }
        for id in changed { state.steps.removeValue(forKey: id) }
        let placeholders = Array(repeating: "?", count: changed.count).joined(separator: ", ")
        let statement = StoreStatement("SELECT \(HoldRows.columns) FROM holds WHERE id IN (\(placeholders))", changed.map { .text($0) })
        for hold in try await connection.all(statement, HoldRows.record) { state.steps[hold.id] = hold }
    }

    /// What the grants and budgets read must include for `holds`.
    static func needs(of holds: some Sequence<HoldRecord>) -> HoldNeeds {
        let list = Array(holds)
        var needs = HoldNeeds(drawnGrantIds: HoldRows.drawnGrantIds(list))
        for hold in list { for reservation in hold.budgets { needs.scopes.insert(reservation.scope.description) } }
        return needs
    }

    /// Reads, under the locks, the holds to settle of every locked workspace whose soonest
    /// hold expiry has passed (`HoldRows.expiring`, per workspace), in one round trip that
    /// batches without such a workspace skip.
    static func loadDueHolds(_ state: inout State, _ connection: PostgresConnection, nowMillis: Int64) async throws -> HoldNeeds {
        let due = state.loaded.values.filter { ($0.state.nextHoldExpiryAtMillis ?? .max) <= nowMillis }.map(\.state.id).sorted()
        guard !due.isEmpty else { return HoldNeeds() }
        let parts = due.map { HoldRows.expiring(workspaceId: $0, nowMillis: nowMillis) }
        let statement = StoreStatement(parts.map { "(\($0.sql))" }.joined(separator: "\nUNION ALL\n"), parts.flatMap(\.values))
        var expiring: [String: [HoldRecord]] = [:]
        var read: [HoldRecord] = []
        for hold in try await connection.all(statement, HoldRows.record) {
            expiring[hold.workspaceId, default: []].append(hold)
            read.append(hold)
        }
        for id in due {
            let holds = (expiring[id] ?? []).sorted(by: expiryOrder)
            state.loaded[id]?.holds = holds
            state.loaded[id]?.holdsBounded = holds.filter { $0.hasExpired(nowMillis: nowMillis) }.count >= HoldRows.settleBound
        }
        return needs(of: read)
    }

    /// The stored budgets of the hold's scopes, as the batch's jobs so far left them.
    static func budgets(of hold: HoldRecord, in budgets: [KeyRef: StoredBudget]) -> [StoredBudget] {
        hold.budgets.compactMap { budgets[KeyRef(workspaceId: hold.workspaceId, key: $0.scope.description)] }
    }

    /// The workspace's holds as the kernel takes them, each with its scopes' budgets as the
    /// batch's earlier jobs left them.
    static func expiring(_ workspace: Loaded, budgets: [KeyRef: StoredBudget]) -> [ExpiringHold] {
        guard let holds = workspace.holds else { return [] }
        return holds.map { ExpiringHold(hold: $0, budgets: PostgresBatch.budgets(of: $0, in: budgets)) }
    }

    /// Keeps the holds a job moved: a closed one is gone (settled once), an open one
    /// replaced by its new state.
    ///
    /// The list read holds only the first hold that has not run out: once a commit or a
    /// release closes that one, the list no longer knows the next expiry, which is no
    /// sooner than the closed hold's, so the workspace's soonest expiry stays at most that
    /// and the next batch reads again. Likewise, a workspace whose read stopped at the
    /// bound is looked at again once the holds read are settled.
    static func keep(_ moved: [HoldRecord], in workspace: inout Loaded, nowMillis: Int64) {
        guard var holds = workspace.holds else { return }
        for hold in moved {
            if hold.status != .open && hold.status != .expired, let listed = holds.first(where: { $0.id == hold.id }), !listed.hasExpired(nowMillis: nowMillis) {
                workspace.expiryFloor = min(workspace.expiryFloor ?? .max, listed.expiresAtMillis)
            }
            holds.removeAll { $0.id == hold.id }
            if hold.status == .open { holds.append(hold) }
        }
        holds.sort(by: expiryOrder)
        workspace.holds = holds
        var floor = workspace.expiryFloor
        if workspace.holdsBounded && !holds.contains(where: { $0.hasExpired(nowMillis: nowMillis) }) { floor = min(floor ?? .max, nowMillis) }
        if let floor { workspace.state.nextHoldExpiryAtMillis = min(workspace.state.nextHoldExpiryAtMillis ?? .max, floor) }
    }

    static func expiryOrder(_ first: HoldRecord, _ second: HoldRecord) -> Bool {
        (first.expiresAtMillis, first.id) < (second.expiresAtMillis, second.id)
    }
}
