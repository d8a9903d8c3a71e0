import TributeCore

/// The reads of the revenue report (SPEC §3.9) on both stores, fed to `RevenueLedger`: a
/// workspace's grants with a cost, the grant slices its charges and reversals took and gave
/// back, its expiries' slices, and its refunds' totals, all before `to`.
enum RevenueRows {
    /// Grants with a cost made before `to`, by workspace. A scan of `credit_grants`: few
    /// rows, read by an admin's report.
    static func grants(toMillis: Int64) -> StoreStatement {
        StoreStatement("""
            SELECT workspace_id, id, cost_basis_cents, amount_micros, created_at FROM credit_grants
            WHERE cost_basis_cents > 0 AND created_at < ? ORDER BY workspace_id, id
            """, [.int(toMillis)])
    }

    static func decodeGrant(_ columns: inout some ColumnReader) throws -> (workspaceId: String, id: String, costCents: Int64, amount: Amount, createdAtMillis: Int64) {
        (try columns.text(), try columns.text(), try columns.int(), try columns.amount(), try columns.int())
    }

    /// The workspace's decisions that moved credits before `to`, through
    /// `decisions_by_workspace_time`.
    static func charges(_ workspaceId: String, toMillis: Int64) -> StoreStatement {
        StoreStatement("""
            SELECT created_at, reason, kind, explanation FROM decisions
            WHERE workspace_seq = \(DecisionRows.workspaceSeq) AND created_at < ? AND debit_micros <> 0
            """, [.text(workspaceId), .int(toMillis)])
    }

    /// Feeds one row of `charges`: a call's or commit's slices are spent, a reversal's
    /// given back; a hold's are only held.
    static func feedCharge(_ columns: inout some ColumnReader, into ledger: inout RevenueLedger) throws {
        let at = try columns.int()
        let reason = try columns.value(DecisionReason.self, column: "decisions.reason"), kind = try columns.value(DecisionKind.self, column: "decisions.kind")
        guard let text = try columns.optionalText(), let explanation = ChargeExplanation(decoding: text, actionsCharged: .zero) else { return }
        switch (reason, kind) {
        case (.approved, .call), (.approved, .commit): ledger.spent(explanation.grants, atMillis: at)
        case (.reversed, _): ledger.spent(explanation.grants.map { GrantDraw(grantId: $0.grantId, amount: -$0.amount) }, atMillis: at)
        default: break
        }
    }

    /// The workspace's expiries before `to`, with the grants each emptied.
    static func expiries(_ workspaceId: String, toMillis: Int64) -> StoreStatement {
        StoreStatement("SELECT created_at, detail FROM transactions WHERE workspace_id = ? AND kind = ? AND created_at < ?",
                       [.text(workspaceId), .text(LedgerTransaction.Kind.grantExpiry.rawValue), .int(toMillis)])
    }

    static func feedExpiry(_ columns: inout some ColumnReader, into ledger: inout RevenueLedger) throws {
        let at = try columns.int()
        guard let detail = try columns.optionalText(), case .expired(let slices)? = TransactionDetail(decoding: detail) else { return }
        ledger.expired(slices, atMillis: at)
    }

    /// The workspace's refund events before `to`: each carries its purchase's refunded total.
    static func refunds(_ workspaceId: String, toMillis: Int64) -> StoreStatement {
        StoreStatement("SELECT created_at, body FROM events WHERE workspace_id = ? AND type = ? AND created_at < ?",
                       [.text(workspaceId), .text(EventType.creditsRefunded.rawValue), .int(toMillis)])
    }

    static func feedRefund(_ columns: inout some ColumnReader, into ledger: inout RevenueLedger) throws {
        let at = try columns.int(), body = try columns.text()
        guard let purchase = (try? JSON.parse(Array(body.utf8)))?.objectValue?["data"]?.objectValue?["purchase"]?.objectValue,
              let id = purchase["id"]?.stringValue, case .number(let cents)? = purchase["refundedCents"], let total = Int64(cents) else {
            throw StoreFault.unknownValue("events.body", "a credits.refunded event without its purchase")
        }
        ledger.refunded(purchaseId: id, totalCents: total, atMillis: at)
    }
}
