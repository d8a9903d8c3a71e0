import TributeCore

/// The consumption of a page of workspaces in the day and the week before `nowMillis`,
/// from their approved decisions that charge (`UsageQuery.usageKinds`: a hold's estimate
/// is not consumption, its commits are): one query both stores run.
struct VelocityQuery: Sendable {
    var workspaceIds: [String]
    var nowMillis: Int64

    private static let dayMillis: Int64 = 86_400_000

    /// Actions of each workspace that has any in the week, as `row` reads them; `nil` for
    /// no workspaces, which need no query (and `IN ()` is no SQL PostgreSQL reads).
    var statement: StoreStatement? {
        guard !workspaceIds.isEmpty else { return nil }
        let placeholders = Array(repeating: "?", count: workspaceIds.count).joined(separator: ", ")
        return StoreStatement("""
            SELECT \(DecisionRows.workspaceId), CAST(COALESCE(SUM(CASE WHEN created_at >= ? THEN actions_charged_micros ELSE 0 END), 0) AS BIGINT),
                   CAST(COALESCE(SUM(actions_charged_micros), 0) AS BIGINT)
            FROM decisions WHERE workspace_seq IN (SELECT seq FROM workspaces WHERE id IN (\(placeholders))) AND created_at >= ? AND created_at < ?
              AND (success = ? OR reason = ?) AND kind IN (\(UsageQuery.usageKindPlaceholders))
            GROUP BY workspace_seq
            """, [.int(nowMillis - VelocityQuery.dayMillis)] + workspaceIds.map { .text($0) }
                + [.int(nowMillis - 7 * VelocityQuery.dayMillis), .int(nowMillis), .bool(true), .text(DecisionReason.reversed.rawValue)]
                + UsageQuery.usageKinds.map { .text($0.rawValue) })
    }

    static func row(_ columns: inout some ColumnReader) throws -> (workspaceId: String, velocity: Velocity) {
        (try columns.text(), Velocity(last24Hours: try columns.amount(), last7Days: try columns.amount()))
    }

    /// Each workspace's velocity from the rows of `statement`: zero for one without any.
    func velocities(_ rows: [(workspaceId: String, velocity: Velocity)]) -> [String: Velocity] {
        var result: [String: Velocity] = [:]
        for row in rows { result[row.workspaceId] = row.velocity }
        for id in workspaceIds where result[id] == nil { result[id] = Velocity(last24Hours: .zero, last7Days: .zero) }
        return result
    }
}
