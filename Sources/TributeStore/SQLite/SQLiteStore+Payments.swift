import GRDB
import TributeCore

extension SQLiteStore {
    public func creditPackages() async throws -> [CreditPackage] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, credits_micros, price_cents, currency, active FROM credit_packages ORDER BY price_cents, id").map {
                CreditPackage(id: try $0.decode(atIndex: 0), name: try $0.decode(atIndex: 1), credits: Amount(micros: try $0.decode(atIndex: 2)), priceCents: try $0.decode(atIndex: 3), currency: try $0.decode(atIndex: 4), active: try $0.decode(atIndex: 5))
            }
        }
    }

    public func putCreditPackage(_ package: CreditPackage) async throws -> CreditPackage {
        let nowMillis = clock.nowMillis()
        return try await write { db in
            try db.execute(sql: """
                INSERT INTO credit_packages (id, name, credits_micros, price_cents, currency, active, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET name = excluded.name, credits_micros = excluded.credits_micros, price_cents = excluded.price_cents,
                    currency = excluded.currency, active = excluded.active, updated_at = excluded.updated_at
                """, arguments: [package.id, package.name, package.credits.micros, package.priceCents, package.currency, package.active, nowMillis])
            return package
        }
    }

    public func createPurchase(workspaceId: String, packageId: String) async throws -> Purchase {
        let nowMillis = clock.nowMillis()
        return try await write { db in
            try SQLiteStore.requireWorkspace(db, workspaceId)
            guard let row = try Row.fetchOne(db, sql: "SELECT name, credits_micros, price_cents, currency FROM credit_packages WHERE id = ? AND active = 1", arguments: [packageId]) else {
                throw TributeError.packageNotFound(packageId)
            }
            let package = CreditPackage(id: packageId, name: try row.decode(atIndex: 0), credits: Amount(micros: try row.decode(atIndex: 1)), priceCents: try row.decode(atIndex: 2), currency: try row.decode(atIndex: 3))
            let purchase = Purchase(id: Identifier.make("pur"), workspaceId: workspaceId, package: package, atMillis: nowMillis)
            try db.execute(sql: """
                INSERT INTO purchases (id, workspace_id, package_id, credits_micros, amount_cents, currency, status, refunded_cents,
                    credits_refunded_micros, credits_unrecovered_micros, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, 0, 0, ?, ?)
                """, arguments: [purchase.id, workspaceId, packageId, purchase.credits.micros, purchase.amountCents, purchase.currency, nowMillis, nowMillis])
            return purchase
        }
    }

    public func attachPaymentIntent(purchaseId: String, paymentIntentId: String) async throws -> Purchase {
        let nowMillis = clock.nowMillis()
        return try await write { db in
            try db.execute(sql: "UPDATE purchases SET payment_intent_id = ?, updated_at = ? WHERE id = ? AND payment_intent_id IS NULL",
                           arguments: [paymentIntentId, nowMillis, purchaseId])
            guard let purchase = try SQLiteStore.purchase(db, where: "id = ?", purchaseId) else { throw TributeError.purchaseNotFound(purchaseId) }
            return purchase
        }
    }

    public func failPurchase(purchaseId: String, reason: String) async throws -> Purchase {
        let nowMillis = clock.nowMillis()
        return try await write { db in
            try db.execute(sql: "UPDATE purchases SET status = 'failed', failure_reason = ?, updated_at = ? WHERE id = ? AND status = 'pending'",
                           arguments: [String(reason.prefix(500)), nowMillis, purchaseId])
            guard let purchase = try SQLiteStore.purchase(db, where: "id = ?", purchaseId) else { throw TributeError.purchaseNotFound(purchaseId) }
            return purchase
        }
    }

    public func purchase(workspaceId: String, id: String) async throws -> Purchase {
        try await pool.read { db in
            guard let purchase = try SQLiteStore.purchase(db, where: "id = ?", id), purchase.workspaceId == workspaceId else {
                throw TributeError.purchaseNotFound(id)
            }
            return purchase
        }
    }

    public func purchases(workspaceId: String, limit: Int, cursor: String?) async throws -> Page<Purchase> {
        let before = try listCursor(cursor) ?? Int64.max
        return try await pool.read { db in
            try SQLiteStore.requireWorkspace(db, workspaceId)
            let rows = try Row.fetchAll(db, sql: "SELECT seq, \(PurchaseRow.columns) FROM purchases WHERE workspace_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                                        arguments: [workspaceId, before, limit + 1])
            let page = Array(rows.prefix(limit))
            return Page(items: try page.map { PurchaseRow.purchase(try SQLiteStore.values($0, from: 1)) },
                        nextCursor: rows.count > limit ? String(page.last![0] as Int64) : nil)
        }
    }

    public func applyPayment(_ event: PaymentEvent) async throws -> PaymentOutcome {
        let nowMillis = clock.nowMillis()
        return try await write { db in
            let (intentId, purchaseId) = event.references
            let found = try purchaseId.flatMap { try SQLiteStore.purchase(db, where: "id = ?", $0) }
                ?? SQLiteStore.purchase(db, where: "payment_intent_id = ?", intentId)
            guard let purchase = found else { return .unchanged("no purchase for PaymentIntent \(intentId)") }
            var state = try SQLiteLedger.loadWorkspace(db, id: purchase.workspaceId)
            try SQLiteLedger.expireGrantsIfNeeded(db, &state, nowMillis: nowMillis)
            let grantRemaining = try purchase.grantId.flatMap {
                try Int64.fetchOne(db, sql: "SELECT remaining_micros FROM credit_grants WHERE id = ?", arguments: [$0])
            }.map(Amount.init(micros:)) ?? .zero
            let effect = PaymentStep.apply(event, to: purchase, grantRemaining: grantRemaining, walletBalance: state.wallet, nowMillis: nowMillis)
            var grantId = purchase.grantId
            for transaction in effect.transactions {
                let transactionId = Identifier.make("txn")
                try SQLiteLedger.append(db, transaction, id: transactionId, workspaceId: purchase.workspaceId, decisionId: nil, atMillis: nowMillis)
                switch transaction.kind {
                case .creditPurchase:
                    grantId = Identifier.make("grant")
                    try db.execute(sql: """
                        INSERT INTO credit_grants (id, workspace_id, amount_micros, remaining_micros, expires_at, note, transaction_id, created_at)
                        VALUES (?, ?, ?, ?, NULL, ?, ?, ?)
                        """, arguments: [grantId, purchase.workspaceId, effect.grantAmount.micros, effect.grantAmount.micros,
                                         "purchase \(purchase.id)", transactionId, nowMillis])
                case .creditRefund:
                    try db.execute(sql: "UPDATE credit_grants SET remaining_micros = remaining_micros - ? WHERE id = ?", arguments: [effect.takeBack.micros, grantId])
                default:
                    break
                }
            }
            let updated = effect.purchase
            try db.execute(sql: """
                UPDATE purchases SET status = ?, refunded_cents = ?, credits_refunded_micros = ?, credits_unrecovered_micros = ?,
                    grant_id = ?, failure_reason = ?, updated_at = ? WHERE id = ?
                """, arguments: [updated.status.rawValue, updated.refundedCents, updated.creditsRefunded.micros, updated.creditsUnrecovered.micros,
                                 grantId, updated.failureReason, updated.updatedAtMillis, updated.id])
            try SQLiteStore.appendEvents(db, workspaceId: purchase.workspaceId, effect.events, atMillis: nowMillis)
            return effect.outcome
        }
    }

    public func events(workspaceId: String, afterSeq: Int64, limit: Int) async throws -> [EventRecord] {
        try await pool.read { db in
            try SQLiteStore.requireWorkspace(db, workspaceId)
            return try Row.fetchAll(db, sql: "SELECT seq, body FROM events WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                                    arguments: [workspaceId, afterSeq, limit]).compactMap { EventRecord(seq: try $0.decode(atIndex: 0), body: try $0.decode(atIndex: 1)) }
        }
    }

    public func streamPosition(workspaceId: String) async throws -> StreamPosition {
        try await pool.read { db in
            try SQLiteStore.requireWorkspace(db, workspaceId)
            return StreamPosition(
                eventSeq: try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM events WHERE workspace_id = ?", arguments: [workspaceId]) ?? 0,
                decisionSeq: try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM decisions WHERE workspace_id = ?", arguments: [workspaceId]) ?? 0)
        }
    }

    public func decisionsSince(workspaceId: String, afterSeq: Int64, limit: Int) async throws -> [(seq: Int64, decision: DecisionRecord)] {
        try await pool.read { db in
            try SQLiteStore.requireWorkspace(db, workspaceId)
            return try Row.fetchAll(db, sql: "SELECT seq, \(SQLiteStore.decisionColumns) FROM decisions WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                                    arguments: [workspaceId, afterSeq, limit]).map { (try $0.decode(atIndex: 0), try SQLiteStore.decision(from: $0, offset: 1)) }
        }
    }

    /// Writes events to the outbox, queued for the endpoints that want them, inside the
    /// caller's transaction: a change that rolls back leaves no event and sends nothing.
    static func appendEvents(_ db: Database, workspaceId: String, _ events: [EventDraft], atMillis: Int64) throws {
        for event in events {
            let record = EventRecord(seq: 0, id: Identifier.make("evt"), workspaceId: workspaceId, type: event.type, data: event.data, createdAtMillis: atMillis)
            try db.execute(sql: "INSERT INTO events (id, workspace_id, type, body, created_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [record.id, workspaceId, event.type.rawValue, record.json.serialized, atMillis])
            try fanOut(db, eventId: record.id, type: event.type, atMillis: atMillis)
        }
    }

    static func purchase(_ db: Database, where condition: String, _ value: String) throws -> Purchase? {
        try Row.fetchOne(db, sql: "SELECT \(PurchaseRow.columns) FROM purchases WHERE \(condition)", arguments: [value]).map { PurchaseRow.purchase(try SQLiteStore.values($0, from: 0)) }
    }

    /// The row's columns from `offset` on, as `PurchaseRow` reads them.
    static func values(_ row: Row, from offset: Int) throws -> PurchaseRow.Values {
        PurchaseRow.Values(
            id: try row.decode(atIndex: offset), workspaceId: try row.decode(atIndex: offset + 1), packageId: try row.decode(atIndex: offset + 2), creditsMicros: try row.decode(atIndex: offset + 3), amountCents: try row.decode(atIndex: offset + 4),
            currency: try row.decode(atIndex: offset + 5), status: try row.decode(atIndex: offset + 6), paymentIntentId: try row.decode(atIndex: offset + 7), refundedCents: try row.decode(atIndex: offset + 8),
            creditsRefundedMicros: try row.decode(atIndex: offset + 9), creditsUnrecoveredMicros: try row.decode(atIndex: offset + 10), grantId: try row.decode(atIndex: offset + 11),
            failureReason: try row.decode(atIndex: offset + 12), createdAt: try row.decode(atIndex: offset + 13), updatedAt: try row.decode(atIndex: offset + 14))
    }
}
