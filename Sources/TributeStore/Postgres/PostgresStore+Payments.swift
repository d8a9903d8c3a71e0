import PostgresNIO
import TributeCore

extension PostgresStore {
    public func creditPackages() async throws -> [CreditPackage] {
        try await read { connection in try await connection.all(CreditPackageRows.all, CreditPackageRows.package) }
    }

    public func putCreditPackage(_ package: CreditPackage) async throws -> CreditPackage {
        let put = CreditPackageRows.put(package, nowMillis: clock.nowMillis())
        try await transaction { connection in try await connection.run(put) }
        return package
    }

    public func createPurchase(workspaceId: String, packageId: String) async throws -> Purchase {
        let nowMillis = clock.nowMillis()
        return try await transaction { connection in
            try await PostgresStore.requireWorkspace(connection, workspaceId)
            guard let package = try await connection.one(CreditPackageRows.active(id: packageId), CreditPackageRows.package) else {
                throw TributeError.packageNotFound(packageId)
            }
            let (purchase, insert) = PurchaseRow.open(workspaceId: workspaceId, package: package, nowMillis: nowMillis)
            try await connection.run(insert)
            return purchase
        }
    }

    public func attachPaymentIntent(purchaseId: String, paymentIntentId: String) async throws -> Purchase {
        let attach = PurchaseRow.attach(paymentIntentId: paymentIntentId, toPurchase: purchaseId, nowMillis: clock.nowMillis())
        return try await transaction { connection in try await PostgresStore.change(connection, purchaseId: purchaseId, by: attach) }
    }

    public func failPurchase(purchaseId: String, reason: String) async throws -> Purchase {
        let fail = PurchaseRow.fail(purchaseId: purchaseId, reason: reason, nowMillis: clock.nowMillis())
        return try await transaction { connection in try await PostgresStore.change(connection, purchaseId: purchaseId, by: fail) }
    }

    /// Runs `statement` on the purchase and returns the purchase as it leaves it.
    /// - Throws: `purchaseNotFound`.
    private static func change(_ connection: PostgresConnection, purchaseId: String, by statement: StoreStatement) async throws -> Purchase {
        try await connection.run(statement)
        guard let purchase = try await connection.one(PurchaseRow.byId(purchaseId), PurchaseRow.purchase) else { throw TributeError.purchaseNotFound(purchaseId) }
        return purchase
    }

    public func purchase(workspaceId: String, id: String) async throws -> Purchase {
        try await read { connection in
            guard let purchase = try await connection.one(PurchaseRow.byId(id), PurchaseRow.purchase), purchase.workspaceId == workspaceId else {
                throw TributeError.purchaseNotFound(id)
            }
            return purchase
        }
    }

    public func purchases(workspaceId: String, limit: Int, cursor: String?) async throws -> Page<Purchase> {
        let query = PurchaseRow.page(workspaceId: workspaceId, beforeSeq: try listCursor(cursor) ?? Int64.max, limit: limit)
        return try await read { connection in
            try await PostgresStore.requireWorkspace(connection, workspaceId)
            return page(try await connection.all(query, PurchaseRow.numbered), limit: limit)
        }
    }

    public func applyPayment(_ event: PaymentEvent) async throws -> PaymentOutcome {
        let nowMillis = clock.nowMillis()
        return try await transaction { connection in
            let (intentId, purchaseId) = event.references
            var found: Purchase?
            if let purchaseId { found = try await connection.one(PurchaseRow.byId(purchaseId), PurchaseRow.purchase) }
            if found == nil { found = try await connection.one(PurchaseRow.byPaymentIntent(intentId), PurchaseRow.purchase) }
            guard let located = found else { return .unchanged("no purchase for PaymentIntent \(intentId)") }
            // The workspace lock orders this against every other write to the wallet; the
            // purchase is read again under it, so that two deliveries of one event at once
            // see each other's result.
            var state = try await PostgresLedger.lockWorkspace(connection, id: located.workspaceId)
            guard let purchase = try await connection.one(PurchaseRow.byId(located.id), PurchaseRow.purchase) else {
                throw TributeError.purchaseNotFound(located.id)
            }
            try await PostgresLedger.expireGrantsIfNeeded(connection, &state, nowMillis: nowMillis)
            var grantRemaining = Amount.zero
            if let grantId = purchase.grantId,
               let row = try await connection.query("SELECT remaining_micros FROM credit_grants WHERE id = \(grantId)", logger: PostgresLedger.logger).firstRow() {
                grantRemaining = Amount(micros: try row.decode(Int64.self))
            }
            let effect = PaymentStep.apply(event, to: purchase, grantRemaining: grantRemaining, walletBalance: state.wallet, nowMillis: nowMillis)
            var grantId = purchase.grantId
            for transaction in effect.transactions {
                let transactionId = Identifier.make("txn")
                try await PostgresLedger.append(connection, transaction, id: transactionId, workspaceId: purchase.workspaceId, decisionId: nil, atMillis: nowMillis)
                switch transaction.kind {
                case .creditPurchase:
                    let newGrant = Identifier.make("grant")
                    grantId = newGrant
                    try await connection.run(GrantRows.purchased(purchase, amount: effect.grantAmount, id: newGrant, transactionId: transactionId, nowMillis: nowMillis))
                case .creditRefund:
                    try await connection.query("UPDATE credit_grants SET remaining_micros = remaining_micros - \(effect.takeBack.micros) WHERE id = \(grantId)",
                                               logger: PostgresLedger.logger)
                default:
                    break
                }
            }
            if effect.closesGrant, let grantId {
                try await connection.run(GrantRows.close(grantId: grantId, nowMillis: nowMillis))
                _ = try await PostgresLedger.refreshNextExpiry(connection, workspaceId: purchase.workspaceId)
            }
            try await connection.run(PurchaseRow.update(effect.purchase, grantId: grantId))
            try await PostgresStore.appendEvents(connection, workspaceId: purchase.workspaceId, effect.events, atMillis: nowMillis)
            try await PostgresStore.autoTopupAfterPayment(connection, effect, state: state, walletAfter: state.wallet + effect.grantAmount - effect.takeBack,
                                                          nowMillis: nowMillis)
            return effect.outcome
        }
    }

    public func events(workspaceId: String, afterSeq: Int64, limit: Int) async throws -> [EventRecord] {
        try await read { connection in
            try await PostgresStore.requireWorkspace(connection, workspaceId)
            return try await connection.all(EventRows.since(workspaceId: workspaceId, afterSeq: afterSeq, limit: limit), EventRows.event)
        }
    }

    public func streamPosition(workspaceId: String) async throws -> StreamPosition {
        try await read { connection in
            try await PostgresStore.requireWorkspace(connection, workspaceId)
            guard let position = try await connection.one(EventRows.streamPosition(workspaceId: workspaceId), EventRows.streamPosition) else {
                preconditionFailure("a SELECT of two aggregates without FROM reads one row")
            }
            return position
        }
    }

    public func decisionsSince(workspaceId: String, afterSeq: Int64, limit: Int) async throws -> [(seq: Int64, decision: DecisionRecord)] {
        try await read { connection in
            try await PostgresStore.requireWorkspace(connection, workspaceId)
            return try await connection.all(DecisionRows.since(workspaceId: workspaceId, afterSeq: afterSeq, limit: limit), DecisionRows.numbered)
                .map { ($0.seq, $0.item) }
        }
    }

    public func streamBacklog(workspaceId: String, after position: StreamPosition, upTo bound: StreamPosition, limit: Int) async throws -> Int {
        try await read { connection in
            try await PostgresStore.requireWorkspace(connection, workspaceId)
            return try await connection.one(EventRows.backlog(workspaceId: workspaceId, after: position, upTo: bound, limit: limit), EventRows.backlog) ?? 0
        }
    }

    /// Writes events to the outbox, queued for the endpoints that want them, inside the
    /// caller's transaction, which holds the workspace's lock: a workspace's events are
    /// numbered in the order they commit.
    static func appendEvents(_ connection: PostgresConnection, workspaceId: String, _ events: [EventDraft], atMillis: Int64) async throws {
        for event in events {
            let record = EventRows.record(event, workspaceId: workspaceId, atMillis: atMillis)
            try await connection.run(EventRows.insert(record))
            try await fanOut(connection, eventId: record.id, type: event.type, atMillis: atMillis)
        }
    }
}
