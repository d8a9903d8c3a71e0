import TributeCore

/// The usage report of a workspace over `[fromMillis, toMillis)`, from its approved
/// decisions: the three queries both stores run, and the report made of what they read.
struct UsageQuery: Sendable {
    var workspaceId: String
    var fromMillis: Int64
    var toMillis: Int64

    /// Days of the report at most: a longer range shows its last 366.
    static let maxDays: Int64 = 366
    static let topUserCount = 10
    private static let millisPerDay: Int64 = 86_400_000

    /// The approved decisions of the range that are usage and the reversals of charges
    /// (negative amounts, so that a reversed charge nets out), after a SELECT list;
    /// PostgreSQL sums BIGINTs into NUMERIC, hence each sum's CAST.
    ///
    /// Usage is what was charged: calls, and what holds committed (each commit counts as one
    /// call). A hold itself only reserves, and its release or expiry charges nothing, so
    /// those kinds are left out (`usageKinds`).
    private func window(_ selectList: String, then rest: String) -> StoreStatement {
        StoreStatement(
            "SELECT \(selectList) FROM decisions WHERE workspace_seq = \(DecisionRows.workspaceSeq) AND created_at >= ? AND created_at < ? AND (success = ? OR reason = ?) AND kind IN (\(UsageQuery.usageKindPlaceholders)) \(rest)",
            [.text(workspaceId), .int(fromMillis), .int(toMillis), .bool(true), .text(DecisionReason.reversed.rawValue)]
                + UsageQuery.usageKinds.map { .text($0.rawValue) })
    }

    /// The kinds of decision that charge: what usage and velocity count.
    static let usageKinds: [DecisionKind] = [.call, .commit]
    static let usageKindPlaceholders = Array(repeating: "?", count: usageKinds.count).joined(separator: ", ")

    /// Decisions, actions and credits per action type, as `bucket` reads them.
    var byActionType: StoreStatement {
        window(
            "action_type, CAST(SUM(CASE WHEN success THEN 1 ELSE -1 END) AS BIGINT), CAST(SUM(actions_charged_micros) AS BIGINT), CAST(SUM(debit_micros) AS BIGINT)",
            then: "GROUP BY action_type")
    }

    /// Actions and credits per UTC day (days since 1970), as `day` reads them.
    var byDay: StoreStatement {
        window("created_at / \(UsageQuery.millisPerDay), CAST(SUM(actions_charged_micros) AS BIGINT), CAST(SUM(debit_micros) AS BIGINT)", then: "GROUP BY 1")
    }

    /// The users who took the most actions, as `user` reads them.
    var topUsers: StoreStatement {
        window(
            "user_id, CAST(SUM(actions_charged_micros) AS BIGINT) AS actions, CAST(SUM(debit_micros) AS BIGINT)",
            then: "AND user_id IS NOT NULL GROUP BY user_id ORDER BY actions DESC, user_id LIMIT \(UsageQuery.topUserCount)")
    }

    static func bucket(_ columns: inout some ColumnReader) throws -> (actionType: String, bucket: UsageReport.Bucket) {
        (try columns.text(), UsageReport.Bucket(count: try columns.int(), actions: try columns.amount(), credits: try columns.amount()))
    }

    static func day(_ columns: inout some ColumnReader) throws -> (day: Int64, actions: Amount, credits: Amount) {
        (try columns.int(), try columns.amount(), try columns.amount())
    }

    static func user(_ columns: inout some ColumnReader) throws -> (userId: String, actions: Amount, credits: Amount) {
        (try columns.text(), try columns.amount(), try columns.amount())
    }

    /// The report of what the three queries read, with the workspace's balances as they
    /// stand; every day of the range appears, with zeros where nothing happened.
    func report(
        workspace: WorkspaceView, byActionType: [(actionType: String, bucket: UsageReport.Bucket)],
        byDay: [(day: Int64, actions: Amount, credits: Amount)], topUsers: [(userId: String, actions: Amount, credits: Amount)]
    ) -> UsageReport {
        var buckets: [String: UsageReport.Bucket] = [:]
        var totalActions = Amount.zero, totalCredits = Amount.zero
        for (actionType, bucket) in byActionType {
            buckets[actionType] = bucket
            totalActions += bucket.actions
            totalCredits += bucket.credits
        }
        var days: [Int64: (Amount, Amount)] = [:]
        for row in byDay { days[row.day] = (row.actions, row.credits) }
        var daily: [(date: CivilDate, actions: Amount, credits: Amount)] = []
        let lastDay = (toMillis - 1) / UsageQuery.millisPerDay
        var day = max(fromMillis / UsageQuery.millisPerDay, lastDay - (UsageQuery.maxDays - 1))
        while day <= lastDay {
            let (actions, credits) = days[day] ?? (.zero, .zero)
            daily.append((CivilDate(unixSeconds: day * 86_400), actions, credits))
            day += 1
        }
        return UsageReport(
            workspaceId: workspaceId, fromMillis: fromMillis, toMillis: toMillis, remainingBalance: workspace.remainingBalance,
            remainingAllowance: workspace.remainingAllowance, totalActions: totalActions, totalCreditsSpent: totalCredits,
            byActionType: buckets, daily: daily, topUsers: topUsers)
    }
}
