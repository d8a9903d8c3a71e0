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
        SELECT w.id, CAST(COALESCE(a.balance_micros, 0) AS BIGINT), w.period_used_micros, p.monthly_allowance_micros, CAST(COALESCE(h.held, 0) AS BIGINT),
            w.rollover
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
            CAST(CASE WHEN a.workspace_id IS NULL THEN 0 WHEN a.workspace_id = \(DecisionRows.workspaceId) THEN 1 ELSE 2 END AS BIGINT), p.amount_micros
        FROM decisions d JOIN transactions t ON t.id = d.transaction_id JOIN postings p ON \(postingsJoin) JOIN accounts a ON a.id = p.account_id
        ORDER BY d.seq
        """
    }

    /// Every account's total over the ledger: its postings, and the legs of the transfers
    /// decisions carry (`DecisionTransfer`), summed per workspace and kind in one pass over
    /// the decisions. Columns `account_id, total`; the balance check joins it.
    /// - Parameter givenBack: this backend's expression for element `i` of the explanation's
    ///   given-back part (`ChargeExplanation.givenBack`: credits, allowance, lapsed).
    static func accountTotals(givenBack: (Int) -> String) -> String {
        func back(_ index: Int) -> String {
            "CASE WHEN kind = 'commit' OR kind = 'release' OR kind = 'expiry' THEN COALESCE(\(givenBack(index)), 0) ELSE 0 END"
        }
        // A decision naming no workspace names an account no workspace has, which the
        // balance check reports as missing.
        func account(_ kind: String) -> String { "'workspace:' || \(DecisionRows.workspaceId) || ':\(kind)'" }
        return """
            WITH c AS (SELECT workspace_seq, kind, SUM(from_allowance_micros) AS fa, SUM(debit_micros) AS cr,
                           SUM(\(back(0))) AS xc, SUM(\(back(1))) AS xa, SUM(\(back(2))) AS xl
                       FROM decisions WHERE \(TransferRows.carriedCondition) GROUP BY workspace_seq, kind),
            legs(account_id, amount_micros) AS (
                SELECT \(account("allowance")), CASE WHEN kind = 'call' OR kind = 'hold' THEN -fa ELSE 0 END + xa FROM c
                UNION ALL SELECT \(account("wallet")), CASE WHEN kind = 'call' OR kind = 'hold' THEN -cr ELSE 0 END + xc FROM c
                UNION ALL SELECT \(account("held_allowance")), CASE kind WHEN 'hold' THEN fa WHEN 'commit' THEN -fa ELSE 0 END - xa - xl FROM c
                UNION ALL SELECT \(account("held_credits")), CASE kind WHEN 'hold' THEN cr WHEN 'commit' THEN -cr ELSE 0 END - xc FROM c
                UNION ALL SELECT 'system:usage', CASE WHEN kind = 'call' OR kind = 'commit' THEN fa ELSE 0 END FROM c
                UNION ALL SELECT 'system:revenue', CASE WHEN kind = 'call' OR kind = 'commit' THEN cr ELSE 0 END FROM c
                UNION ALL SELECT 'system:allowance_lapsed', xl FROM c),
            totals AS (SELECT account_id, SUM(amount_micros) AS total FROM (SELECT account_id, amount_micros FROM postings UNION ALL SELECT account_id, amount_micros FROM legs) x
                       GROUP BY account_id)
            """
    }

    /// The transfers decisions carry, which `ledger verify` counts with the rows of
    /// `transactions`.
    static let carriedCount = "SELECT CAST(COUNT(*) AS BIGINT) FROM decisions WHERE \(TransferRows.carriedCondition)"

    /// A transaction row that names a decision that carries its own transfer: a decision has
    /// one transaction. (Before the lean shape a final commit's give-back could be a second
    /// row naming the commit, so rows naming a decision of rows are not compared.)
    static let strayTransaction = """
        SELECT t.id FROM transactions t JOIN decisions d ON d.id = t.decision_id WHERE d.transaction_id IS NULL LIMIT 1
        """

    /// The accounts a carried transfer moves that have no row (`totals` of `accountTotals`):
    /// their balance cannot be checked, so each is a dangling reference. Rows of `0`, the
    /// account, and two zeros: the first part of the one query that also compares every
    /// balance (each backend's, after `UNION ALL`, tagged `1`), so that the decisions are
    /// summed once (a CTE read twice is computed once, on both databases).
    static let missingAccounts = """
        SELECT 0, p.account_id, CAST(0 AS BIGINT), CAST(0 AS BIGINT) FROM totals p LEFT JOIN accounts a ON a.id = p.account_id WHERE a.id IS NULL AND p.total <> 0
        """

    /// The decision fields of a `decisionLegs` row, `nil` for a kind or reason Tribute never writes.
    static func recorded(id: String, kind: String, reason: String, fromAllowanceMicros: Int64, creditsMicros: Int64, explanation: String?) -> DecisionLegs.Recorded? {
        guard let kind = DecisionKind(rawValue: kind), let reason = DecisionReason(rawValue: reason) else { return nil }
        return DecisionLegs.Recorded(id: id, kind: kind, reason: reason, fromAllowanceMicros: fromAllowanceMicros, creditsMicros: creditsMicros, explanation: explanation)
    }
}
