import GRDB
import TributeCore

extension SQLiteStore {
    public func creditPackages() async throws -> [CreditPackage] {
        try await pool.read { db in try db.all(CreditPackageRows.all, CreditPackageRows.package) }
    }

    public func putCreditPackage(_ package: CreditPackage) async throws -> CreditPackage {
        let put = CreditPackageRows.put(package, nowMillis: clock.nowMillis())
        try await write { db in try db.run(put) }
        return package
    }

    public func createPurchase(workspaceId: String, packageId: String) async throws -> Purchase {
        let nowMillis = clock.nowMillis()
        return try await write { db in
            try SQLiteStore.requireWorkspace(db, workspaceId)
            guard let package = try db.one(CreditPackageRows.active(id: packageId), CreditPackageRows.package) else { throw TributeError.packageNotFound(packageId) }
            let (purchase, insert) = PurchaseRow.open(workspaceId: workspaceId, package: package, nowMillis: nowMillis)
            try db.run(insert)
            return purchase
        }
    }

    public func attachPaymentIntent(purchaseId: String, paymentIntentId: String) async throws -> Purchase {
        let attach = PurchaseRow.attach(paymentIntentId: paymentIntentId, toPurchase: purchaseId, nowMillis: clock.nowMillis())
        return try await write { db in try SQLiteStore.change(db, purchaseId: purchaseId, by: attach) }
    }

    public func failPurchase(purchaseId: String, reason: String) async throws -> Purchase {
        let fail = PurchaseRow.fail(purchaseId: purchaseId, reason: reason, nowMillis: clock.nowMillis())
        return try await write { db in try SQLiteStore.change(db, purchaseId: purchaseId, by: fail) }
    }

    /// Runs `statement` on the purchase and returns the purchase as it leaves it.
    /// - Throws: `purchaseNotFound`.
    private static func change(_ db: Database, purchaseId: String, by statement: StoreStatement) throws -> Purchase {
        try db.run(statement)
        guard let purchase = try db.one(PurchaseRow.byId(purchaseId), PurchaseRow.purchase) else { throw TributeError.purchaseNotFound(purchaseId) }
        return purchase
    }

    public func purchase(workspaceId: String, id: String) async throws -> Purchase {
        try await pool.read { db in
            guard let purchase = try db.one(PurchaseRow.byId(id), PurchaseRow.purchase), purchase.workspaceId == workspaceId else {
                throw TributeError.purchaseNotFound(id)
            }
            return purchase
        }
    }

    public func purchases(workspaceId: String, limit: Int, cursor: String?) async throws -> Page<Purchase> {
        let query = PurchaseRow.page(workspaceId: workspaceId, beforeSeq: try listCursor(cursor) ?? Int64.max, limit: limit)
        return try await pool.read { db in
            try SQLiteStore.requireWorkspace(db, workspaceId)
            return page(try db.all(query, PurchaseRow.numbered), limit: limit)
        }
    }

    public func applyPayment(_ event: PaymentEvent) async throws -> PaymentOutcome {
        let nowMillis = clock.nowMillis()
        return try await write { db in
            let (intentId, purchaseId) = event.references
            let found = try purchaseId.flatMap { try db.one(PurchaseRow.byId($0), PurchaseRow.purchase) }
                ?? db.one(PurchaseRow.byPaymentIntent(intentId), PurchaseRow.purchase)
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
                    let newGrant = Identifier.make("grant")
                    grantId = newGrant
                    try db.run(GrantRows.purchased(purchase, amount: effect.grantAmount, id: newGrant, transactionId: transactionId, nowMillis: nowMillis))
                case .creditRefund:
                    try db.execute(sql: "UPDATE credit_grants SET remaining_micros = remaining_micros - ? WHERE id = ?", arguments: [effect.takeBack.micros, grantId])
                default:
                    break
                }
            }
            if effect.closesGrant, let grantId {
                try db.run(GrantRows.close(grantId: grantId, nowMillis: nowMillis))
                _ = try SQLiteLedger.refreshNextExpiry(db, workspaceId: purchase.workspaceId)
            }
            try db.run(PurchaseRow.update(effect.purchase, grantId: grantId))
            try SQLiteStore.appendEvents(db, workspaceId: purchase.workspaceId, effect.events, atMillis: nowMillis)
            try SQLiteStore.autoTopupAfterPayment(db, effect, walletAfter: state.wallet + effect.grantAmount - effect.takeBack, nowMillis: nowMillis)
            return effect.outcome
        }
    }

    public func events(workspaceId: String, afterSeq: Int64, limit: Int) async throws -> [EventRecord] {
        try await pool.read { db in
            try SQLiteStore.requireWorkspace(db, workspaceId)
            return try db.all(EventRows.since(workspaceId: workspaceId, afterSeq: afterSeq, limit: limit), EventRows.event)
        }
    }

    public func streamPosition(workspaceId: String) async throws -> StreamPosition {
        try await pool.read { db in
            try SQLiteStore.requireWorkspace(db, workspaceId)
            guard let position = try db.one(EventRows.streamPosition(workspaceId: workspaceId), EventRows.streamPosition) else {
                preconditionFailure("a SELECT of two aggregates without FROM reads one row")
            }
            return position
        }
    }

    public func decisionsSince(workspaceId: String, afterSeq: Int64, limit: Int) async throws -> [(seq: Int64, decision: DecisionRecord)] {
        try await pool.read { db in
            try SQLiteStore.requireWorkspace(db, workspaceId)
            return try db.all(DecisionRows.since(workspaceId: workspaceId, afterSeq: afterSeq, limit: limit), DecisionRows.numbered).map { ($0.seq, $0.item) }
        }
    }

    public func streamBacklog(workspaceId: String, after position: StreamPosition, upTo bound: StreamPosition, limit: Int) async throws -> Int {
        try await pool.read { db in
            try SQLiteStore.requireWorkspace(db, workspaceId)
            return try db.one(EventRows.backlog(workspaceId: workspaceId, after: position, upTo: bound, limit: limit), EventRows.backlog) ?? 0
        }
    }

    /// Writes events to the outbox, queued for the endpoints that want them, inside the
    /// caller's transaction: a change that rolls back leaves no event and sends nothing.
    static func appendEvents(_ db: Database, workspaceId: String, _ events: [EventDraft], atMillis: Int64) throws {
        for event in events {
            let record = EventRows.record(event, workspaceId: workspaceId, atMillis: atMillis)
            try db.run(EventRows.insert(record))
            try fanOut(db, eventId: record.id, type: event.type, atMillis: atMillis)
        }
    }
}
