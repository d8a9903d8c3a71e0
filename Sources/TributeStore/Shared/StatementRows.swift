import TributeCore

/// The reads and writes of statements (SPEC §3.9) on both stores: the ledger's rows of a
/// range, fed to `StatementBuilder` one at a time, and the statements written once.
enum StatementRows {
    /// A period's statement is cut this long after the period ends, so that writes in flight
    /// at the boundary (a batch whose clock read came just before it) are in it.
    static let graceMillis: Int64 = 300_000

    /// The periods of a workspace's statements: the first is the period it was created in.
    static func period(number: Int, createdAtMillis: Int64, anchor: CivilDate) -> BillingPeriod {
        var period = BillingPeriod.containing(createdAtMillis / 1000, anchor: anchor)
        for _ in 1..<max(1, number) { period = BillingPeriod.containing(period.end, anchor: anchor) }
        return period
    }

    /// How many of a workspace's periods have closed and may be cut at `nowMillis`.
    static func closedCount(createdAtMillis: Int64, anchor: CivilDate, nowMillis: Int64) -> Int {
        var count = 0
        var period = BillingPeriod.containing(createdAtMillis / 1000, anchor: anchor)
        // Bounded by the calendar: 12 a year since the workspace was created.
        while period.end * 1000 + graceMillis <= nowMillis {
            count += 1
            period = BillingPeriod.containing(period.end, anchor: anchor)
        }
        return count
    }

    /// The workspace's creation time and anchor.
    static func workspace(_ workspaceId: String) -> StoreStatement {
        StoreStatement("SELECT created_at, anchor_date FROM workspaces WHERE id = ?", [.text(workspaceId)])
    }

    static func decodeWorkspace(_ columns: inout some ColumnReader) throws -> (createdAtMillis: Int64, anchor: CivilDate) {
        let created = try columns.int(), text = try columns.text()
        guard let anchor = CivilDate(parsing: text) else { throw StoreFault.unknownValue("workspaces.anchor_date", text) }
        return (created, anchor)
    }

    /// Every grant's category, by id.
    static func categories(_ workspaceId: String) -> StoreStatement {
        StoreStatement("SELECT id, category FROM credit_grants WHERE workspace_id = ?", [.text(workspaceId)])
    }

    static func decodeCategory(_ columns: inout some ColumnReader) throws -> (String, GrantCategory) {
        (try columns.text(), try columns.value(GrantCategory.self, column: "credit_grants.category"))
    }

    /// The grants made in `[from, to)`, with the purchase each bought one came from.
    static func grants(_ workspaceId: String, fromMillis: Int64, toMillis: Int64) -> StoreStatement {
        StoreStatement("""
            SELECT g.id, g.category, g.amount_micros, g.created_at, p.id, p.package_id, p.payment_intent_id, p.amount_cents
            FROM credit_grants g LEFT JOIN purchases p ON p.workspace_id = g.workspace_id AND p.grant_id = g.id
            WHERE g.workspace_id = ? AND g.created_at >= ? AND g.created_at < ?
            """, [.text(workspaceId), .int(fromMillis), .int(toMillis)])
    }

    static func feedGrant(_ columns: inout some ColumnReader, into builder: inout StatementBuilder) throws {
        let id = try columns.text(), category = try columns.value(GrantCategory.self, column: "credit_grants.category")
        let amount = try columns.amount(), at = try columns.int()
        let purchaseId = try columns.optionalText(), package = try columns.optionalText(), intent = try columns.optionalText(), cents = try columns.optionalInt()
        let purchase = purchaseId.map { CreditStatement.PurchaseRef(id: $0, packageId: package ?? "", paymentIntentId: intent, amountCents: cents ?? 0) }
        try builder.grant(id: id, category: category, amount: amount, atMillis: at, purchase: purchase)
    }

    /// The decisions made in `[from, to)`, in chain order (a statement's figures never
    /// depend on the order a plan reads rows in): their order number, hash (as this
    /// backend's `hashText` reads it) and columns.
    static func decisions(_ workspaceId: String, fromMillis: Int64, toMillis: Int64, hashText: String) -> StoreStatement {
        StoreStatement("""
            SELECT seq, \(hashText), \(DecisionRows.columns) FROM decisions
            WHERE workspace_seq = \(DecisionRows.workspaceSeq) AND created_at >= ? AND created_at < ? ORDER BY seq
            """, [.text(workspaceId), .int(fromMillis), .int(toMillis)])
    }

    static func feedDecision(_ columns: inout some ColumnReader, into builder: inout StatementBuilder) throws -> (id: String, reverses: String?)? {
        let seq = try columns.int()
        guard let hash = try columns.optionalText() else { throw StoreFault.unknownValue("decisions.hash", "NULL") }
        let record = try DecisionRows.decision(&columns)
        try builder.decision(seq: seq, hash: hash, record)
        guard record.reason == .reversed else { return nil }
        return (record.id, record.chargeExplanation?.reverses)
    }

    /// The postings of the workspace's transactions in `[from, to)` that a statement reads
    /// (expiries, refunds, period closes), one row each, grouped by transaction.
    /// - Parameter postingsJoin: how a posting names its transaction `t` on this backend.
    static func transactions(_ workspaceId: String, fromMillis: Int64, toMillis: Int64, postingsJoin: String) -> StoreStatement {
        let kinds: [LedgerTransaction.Kind] = [.grantExpiry, .creditRefund, .allowanceReset]
        return StoreStatement("""
            SELECT t.id, t.kind, t.created_at, t.detail, a.kind, p.amount_micros
            FROM transactions t JOIN postings p ON \(postingsJoin) JOIN accounts a ON a.id = p.account_id
            WHERE t.workspace_id = ? AND t.created_at >= ? AND t.created_at < ? AND t.kind IN (\(kinds.map { _ in "?" }.joined(separator: ", ")))
            ORDER BY t.seq
            """, [.text(workspaceId), .int(fromMillis), .int(toMillis)] + kinds.map { .text($0.rawValue) })
    }

    /// Groups the rows of `transactions` into transactions for the builder.
    struct TransactionWalk {
        private var current: (id: String, kind: LedgerTransaction.Kind, atMillis: Int64, detail: String?, postings: [(AccountKind, Amount)])?

        mutating func add(_ columns: inout some ColumnReader, into builder: inout StatementBuilder) throws {
            let id = try columns.text(), kind = try columns.value(LedgerTransaction.Kind.self, column: "transactions.kind")
            let at = try columns.int(), detail = try columns.optionalText()
            let account = try columns.value(AccountKind.self, column: "accounts.kind"), amount = try columns.amount()
            if current?.id != id {
                try finish(into: &builder)
                current = (id, kind, at, detail, [])
            }
            current?.postings.append((account, amount))
        }

        mutating func finish(into builder: inout StatementBuilder) throws {
            if let current { try builder.transaction(id: current.id, kind: current.kind, atMillis: current.atMillis, postings: current.postings, detail: current.detail) }
            current = nil
        }
    }

    /// The details of the workspace's period closes that carried (`carry:<boundary>=…`):
    /// one a period, read whole.
    static func carries(_ workspaceId: String) -> StoreStatement {
        StoreStatement("SELECT detail FROM transactions WHERE workspace_id = ? AND kind = ? AND detail IS NOT NULL",
                       [.text(workspaceId), .text(LedgerTransaction.Kind.allowanceReset.rawValue)])
    }

    static func feedCarry(_ columns: inout some ColumnReader, into builder: inout StatementBuilder) throws {
        guard let detail = try columns.optionalText(), case .carried(let carried, let boundary)? = TransactionDetail(decoding: detail) else { return }
        try builder.carry(carried, boundary: boundary)
    }

    /// Holds of the workspace open at `to`: made before it, and open still or closed at or
    /// after it (a closed hold's last change is its close). Through `holds_by_workspace`.
    static func holdsOpen(_ workspaceId: String, toMillis: Int64) -> StoreStatement {
        StoreStatement("""
            SELECT id, created_at FROM holds
            WHERE workspace_id = ? AND created_at < ? AND (status = 'open' OR updated_at >= ?) ORDER BY created_at, id
            """, [.text(workspaceId), .int(toMillis), .int(toMillis)])
    }

    static func decodeHold(_ columns: inout some ColumnReader) throws -> CreditStatement.OpenHold {
        CreditStatement.OpenHold(id: try columns.text(), createdAtMillis: try columns.int())
    }

    /// When the charge a reversal reverses was made: its decision's time, by the id of
    /// the transfer it carried or of the transaction row of an older charge.
    static func chargeTime(transactionId: String) -> StoreStatement {
        let decisionId = DecisionTransfer.decisionId(transferId: transactionId) ?? ""
        return StoreStatement("""
            SELECT created_at FROM decisions WHERE id = ?
            UNION ALL SELECT created_at FROM transactions WHERE id = ?
            """, [.text(decisionId), .text(transactionId)])
    }

    /// The workspace's stored statements, oldest first.
    static func stored(_ workspaceId: String) -> StoreStatement {
        StoreStatement("SELECT number, from_at, to_at, body, digest, created_at FROM statements WHERE workspace_id = ? ORDER BY number", [.text(workspaceId)])
    }

    static func one(_ workspaceId: String, number: Int) -> StoreStatement {
        StoreStatement("SELECT number, from_at, to_at, body, digest, created_at FROM statements WHERE workspace_id = ? AND number = ?",
                       [.text(workspaceId), .int(Int64(number))])
    }

    static func decodeStored(_ columns: inout some ColumnReader) throws -> StoredStatement {
        StoredStatement(number: Int(try columns.int()), fromMillis: try columns.int(), toMillis: try columns.int(), body: try columns.text(),
                        digest: try columns.text(), createdAtMillis: try columns.int())
    }

    /// Writes a statement once: another instance's write of the same number first wins.
    static func insert(_ workspaceId: String, _ statement: CreditStatement, nowMillis: Int64) -> StoreStatement {
        StoreStatement("""
            INSERT INTO statements (workspace_id, number, from_at, to_at, body, digest, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (workspace_id, number) DO NOTHING
            """, [.text(workspaceId), .int(Int64(statement.number ?? 0)), .int(statement.fromMillis), .int(statement.toMillis),
                  .text(statement.canonicalBody), .text(statement.digest), .int(nowMillis)])
    }

    /// A stored statement's closing balances: the next one's opening.
    static func closing(of stored: StoredStatement) throws -> CreditStatement.CategoryBalances {
        guard let body = try? JSON.parse(Array(stored.body.utf8)), let closing = body.objectValue?["closing"]?.objectValue?["byCategory"]?.objectValue else {
            throw StoreFault.unknownValue("statements.body", "statement \(stored.number)")
        }
        var balances = CreditStatement.CategoryBalances()
        for category in GrantCategory.allCases {
            guard case .number(let text)? = closing[category.rawValue], let amount = try? Amount.parse(text) else {
                throw StoreFault.unknownValue("statements.body", "statement \(stored.number)")
            }
            try balances.add(amount, to: category)
        }
        return balances
    }
}
