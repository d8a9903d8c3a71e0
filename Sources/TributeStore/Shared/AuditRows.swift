import TributeCore

/// The reads of `ledger verify` that both stores run as they are: what each workspace's
/// allowance is checked against (`AllowanceAudit`), and each decision's transaction legs
/// (`DecisionLegsWalk`).
enum AuditRows {
    /// Each workspace's allowance balance, what its period used, its plan's allowance and
    /// what its open holds of the current period hold from allowance. An admin's edit of a
    /// plan's allowance (`PUT /v1/plans`) changes what a workspace is issued from its next
    /// period roll or plan change on, not the allowance it has left: a workspace whose plan's
    /// allowance changed after its own was last issued (its newest `allowance_reset`, or its
    /// creation) is checked from its next issue on. An edit of anything else (the price, the
    /// name) does not move `allowance_changed_at`.
    static let allowances = StoreStatement("""
        SELECT w.id, CAST(COALESCE(a.balance_micros, 0) AS BIGINT), w.period_used_micros, p.monthly_allowance_micros, CAST(COALESCE(h.held, 0) AS BIGINT)
        FROM workspaces w JOIN plans p ON p.id = w.plan_id
        LEFT JOIN accounts a ON a.id = 'workspace:' || w.id || ':allowance'
        LEFT JOIN (SELECT workspace_id, period_start, SUM(held_allowance_micros) AS held FROM holds WHERE status = 'open' GROUP BY workspace_id, period_start) h
            ON h.workspace_id = w.id AND h.period_start = w.period_start
        LEFT JOIN (SELECT workspace_id, MAX(created_at) AS issued_at FROM transactions WHERE kind = 'allowance_reset' GROUP BY workspace_id) r
            ON r.workspace_id = w.id
        WHERE p.allowance_changed_at <= COALESCE(r.issued_at, w.created_at)
        ORDER BY w.id
        """)

    /// Every posting of every decision's transaction, in decision order, as
    /// `DecisionLegsWalk.add` takes them: `seq, id, kind, reason, from_allowance_micros,
    /// debit_micros, explanation, account kind, owner, amount_micros`.
    /// - Parameter postingsJoin: how a posting names its transaction `t` on this backend.
    static func decisionLegs(postingsJoin: String) -> String {
        """
        SELECT d.seq, d.id, d.kind, d.reason, d.from_allowance_micros, d.debit_micros, d.explanation, a.kind,
            CAST(CASE WHEN a.workspace_id IS NULL THEN 0 WHEN a.workspace_id = d.workspace_id THEN 1 ELSE 2 END AS BIGINT), p.amount_micros
        FROM decisions d JOIN transactions t ON t.id = d.transaction_id JOIN postings p ON \(postingsJoin) JOIN accounts a ON a.id = p.account_id
        ORDER BY d.seq
        """
    }

    /// Every account's total over the ledger: its postings, and the legs of the transfers
    /// decisions carry (`DecisionTransfer`: allowance and wallet out; usage and revenue in, or
    /// the workspace's hold accounts for a hold), summed per workspace and kind in one pass
    /// over the decisions. Columns `account_id, total`; the balance check joins it.
    static let accountTotals = """
        WITH c AS (SELECT workspace_id, kind, SUM(from_allowance_micros) AS a, SUM(debit_micros) AS cr FROM decisions
                   WHERE \(TransferRows.carriedCondition) GROUP BY workspace_id, kind),
        legs(account_id, amount_micros) AS (
            SELECT 'workspace:' || workspace_id || ':allowance', -a FROM c
            UNION ALL SELECT 'workspace:' || workspace_id || ':wallet', -cr FROM c
            UNION ALL SELECT CASE WHEN kind = 'hold' THEN 'workspace:' || workspace_id || ':held_allowance' ELSE 'system:usage' END, a FROM c
            UNION ALL SELECT CASE WHEN kind = 'hold' THEN 'workspace:' || workspace_id || ':held_credits' ELSE 'system:revenue' END, cr FROM c),
        totals AS (SELECT account_id, SUM(amount_micros) AS total FROM (SELECT account_id, amount_micros FROM postings UNION ALL SELECT account_id, amount_micros FROM legs) x
                   GROUP BY account_id)
        """

    /// The transfers decisions carry and their postings (two a leg), which `ledger verify`
    /// counts with the rows of `transactions` and `postings`.
    static let carriedCounts = """
        SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN from_allowance_micros <> 0 THEN 2 ELSE 0 END + CASE WHEN debit_micros <> 0 THEN 2 ELSE 0 END), 0) AS BIGINT)
        FROM decisions WHERE \(TransferRows.carriedCondition)
        """

    /// A transaction row that names a decision whose transaction it is not: a decision has
    /// one transaction, its own row's or the one it carries.
    static let strayTransaction = """
        SELECT t.id FROM transactions t JOIN decisions d ON d.id = t.decision_id WHERE d.transaction_id IS NULL OR d.transaction_id <> t.id LIMIT 1
        """

    /// The decision fields of a `decisionLegs` row, `nil` for a kind or reason Tribute never writes.
    static func recorded(id: String, kind: String, reason: String, fromAllowanceMicros: Int64, creditsMicros: Int64, explanation: String?) -> DecisionLegs.Recorded? {
        guard let kind = DecisionKind(rawValue: kind), let reason = DecisionReason(rawValue: reason) else { return nil }
        return DecisionLegs.Recorded(id: id, kind: kind, reason: reason, fromAllowanceMicros: fromAllowanceMicros, creditsMicros: creditsMicros, explanation: explanation)
    }
}
