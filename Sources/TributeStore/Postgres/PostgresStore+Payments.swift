import PostgresNIO
import TributeCore

extension PostgresStore {
    public func creditPackages() async throws -> [CreditPackage] {
        try await read { connection in
            var packages: [CreditPackage] = []
            for try await (id, name, credits, price, currency, active) in try await connection.query(
                "SELECT id, name, credits_micros, price_cents, currency, active FROM credit_packages ORDER BY price_cents, id", logger: PostgresLedger.logger
            ).decode((String, String, Int64, Int64, String, Bool).self) {
                packages.append(CreditPackage(id: id, name: name, credits: Amount(micros: credits), priceCents: price, currency: currency, active: active))
            }
            return packages
        }
    }

    public func putCreditPackage(_ package: CreditPackage) async throws -> CreditPackage {
        let nowMillis = clock.nowMillis()
        try await transaction { connection in
            try await connection.query("""
                INSERT INTO credit_packages (id, name, credits_micros, price_cents, currency, active, updated_at)
                VALUES (\(package.id), \(package.name), \(package.credits.micros), \(package.priceCents), \(package.currency), \(package.active), \(nowMillis))
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, credits_micros = excluded.credits_micros, price_cents = excluded.price_cents,
                    currency = excluded.currency, active = excluded.active, updated_at = excluded.updated_at
                """, logger: PostgresLedger.logger)
        }
        return package
    }

    public func createPurchase(workspaceId: String, packageId: String) async throws -> Purchase {
        let nowMillis = clock.nowMillis()
        return try await transaction { connection in
            try await PostgresStore.requireWorkspace(connection, workspaceId)
            guard let row = try await connection.query(
                "SELECT name, credits_micros, price_cents, currency FROM credit_packages WHERE id = \(packageId) AND active", logger: PostgresLedger.logger
            ).firstRow() else { throw TributeError.packageNotFound(packageId) }
            let (name, credits, price, currency) = try row.decode((String, Int64, Int64, String).self)
            let package = CreditPackage(id: packageId, name: name, credits: Amount(micros: credits), priceCents: price, currency: currency)
            let purchase = Purchase(id: Identifier.make("pur"), workspaceId: workspaceId, package: package, atMillis: nowMillis)
            try await connection.query("""
                INSERT INTO purchases (id, workspace_id, package_id, credits_micros, amount_cents, currency, status, refunded_cents,
                    credits_refunded_micros, credits_unrecovered_micros, created_at, updated_at)
                VALUES (\(purchase.id), \(workspaceId), \(packageId), \(credits), \(price), \(currency), 'pending', 0, 0, 0, \(nowMillis), \(nowMillis))
                """, logger: PostgresLedger.logger)
            return purchase
        }
    }

    public func attachPaymentIntent(purchaseId: String, paymentIntentId: String) async throws -> Purchase {
        let nowMillis = clock.nowMillis()
        return try await transaction { connection in
            try await connection.query("""
                UPDATE purchases SET payment_intent_id = \(paymentIntentId), updated_at = \(nowMillis) WHERE id = \(purchaseId) AND payment_intent_id IS NULL
                """, logger: PostgresLedger.logger)
            guard let purchase = try await PostgresStore.purchase(connection, id: purchaseId) else { throw TributeError.purchaseNotFound(purchaseId) }
            return purchase
        }
    }

    public func failPurchase(purchaseId: String, reason: String) async throws -> Purchase {
        let nowMillis = clock.nowMillis()
        let reason = String(reason.prefix(500))
        return try await transaction { connection in
            try await connection.query("""
                UPDATE purchases SET status = 'failed', failure_reason = \(reason), updated_at = \(nowMillis) WHERE id = \(purchaseId) AND status = 'pending'
                """, logger: PostgresLedger.logger)
            guard let purchase = try await PostgresStore.purchase(connection, id: purchaseId) else { throw TributeError.purchaseNotFound(purchaseId) }
            return purchase
        }
    }

    public func purchase(workspaceId: String, id: String) async throws -> Purchase {
        try await read { connection in
            guard let purchase = try await PostgresStore.purchase(connection, id: id), purchase.workspaceId == workspaceId else {
                throw TributeError.purchaseNotFound(id)
            }
            return purchase
        }
    }

    public func purchases(workspaceId: String, limit: Int, cursor: String?) async throws -> Page<Purchase> {
        let before = try listCursor(cursor) ?? Int64.max
        return try await read { connection in
            try await PostgresStore.requireWorkspace(connection, workspaceId)
            var rows: [(seq: Int64, purchase: Purchase)] = []
            for try await row in try await connection.query("""
                SELECT \(unescaped: PurchaseRow.columns), seq FROM purchases
                WHERE workspace_id = \(workspaceId) AND seq < \(before) ORDER BY seq DESC LIMIT \(Int64(limit + 1))
                """, logger: PostgresLedger.logger) {
                rows.append((try row.makeRandomAccess()[15].decode(Int64.self), try PostgresStore.purchase(row)))
            }
            let page = Array(rows.prefix(limit))
            return Page(items: page.map(\.purchase), nextCursor: rows.count > limit ? String(page.last!.seq) : nil)
        }
    }

    public func applyPayment(_ event: PaymentEvent) async throws -> PaymentOutcome {
        let nowMillis = clock.nowMillis()
        return try await transaction { connection in
            let (intentId, purchaseId) = event.references
            var found: Purchase?
            if let purchaseId { found = try await PostgresStore.purchase(connection, id: purchaseId) }
            if found == nil { found = try await PostgresStore.purchase(connection, paymentIntentId: intentId) }
            guard let located = found else { return .unchanged("no purchase for PaymentIntent \(intentId)") }
            // The workspace lock orders this against every other write to the wallet; the
            // purchase is read again under it, so that two deliveries of one event at once
            // see each other's result.
            var (state, _) = try await PostgresLedger.lockWorkspace(connection, id: located.workspaceId)
            guard let purchase = try await PostgresStore.purchase(connection, id: located.id) else { throw TributeError.purchaseNotFound(located.id) }
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
                    try await connection.query("""
                        INSERT INTO credit_grants (id, workspace_id, amount_micros, remaining_micros, expires_at, note, transaction_id, created_at)
                        VALUES (\(newGrant), \(purchase.workspaceId), \(effect.grantAmount.micros), \(effect.grantAmount.micros), NULL,
                                \("purchase \(purchase.id)"), \(transactionId), \(nowMillis))
                        """, logger: PostgresLedger.logger)
                case .creditRefund:
                    try await connection.query("UPDATE credit_grants SET remaining_micros = remaining_micros - \(effect.takeBack.micros) WHERE id = \(grantId)",
                                               logger: PostgresLedger.logger)
                default:
                    break
                }
            }
            let updated = effect.purchase
            try await connection.query("""
                UPDATE purchases SET status = \(updated.status.rawValue), refunded_cents = \(updated.refundedCents),
                    credits_refunded_micros = \(updated.creditsRefunded.micros), credits_unrecovered_micros = \(updated.creditsUnrecovered.micros),
                    grant_id = \(grantId), failure_reason = \(updated.failureReason), updated_at = \(updated.updatedAtMillis)
                WHERE id = \(updated.id)
                """, logger: PostgresLedger.logger)
            try await PostgresStore.appendEvents(connection, workspaceId: purchase.workspaceId, effect.events, atMillis: nowMillis)
            return effect.outcome
        }
    }

    public func events(workspaceId: String, afterSeq: Int64, limit: Int) async throws -> [EventRecord] {
        try await read { connection in
            try await PostgresStore.requireWorkspace(connection, workspaceId)
            var events: [EventRecord] = []
            for try await (seq, body) in try await connection.query("""
                SELECT seq, body FROM events WHERE workspace_id = \(workspaceId) AND seq > \(afterSeq) ORDER BY seq LIMIT \(Int64(limit))
                """, logger: PostgresLedger.logger).decode((Int64, String).self) {
                if let event = EventRecord(seq: seq, body: body) { events.append(event) }
            }
            return events
        }
    }

    public func streamPosition(workspaceId: String) async throws -> StreamPosition {
        try await read { connection in
            try await PostgresStore.requireWorkspace(connection, workspaceId)
            let row = try await connection.query("""
                SELECT (SELECT COALESCE(MAX(seq), 0) FROM events WHERE workspace_id = \(workspaceId))::bigint,
                       (SELECT COALESCE(MAX(seq), 0) FROM decisions WHERE workspace_id = \(workspaceId))::bigint
                """, logger: PostgresLedger.logger).firstRow()
            guard let row else { return StreamPosition(eventSeq: 0, decisionSeq: 0) }
            let (events, decisions) = try row.decode((Int64, Int64).self)
            return StreamPosition(eventSeq: events, decisionSeq: decisions)
        }
    }

    public func decisionsSince(workspaceId: String, afterSeq: Int64, limit: Int) async throws -> [(seq: Int64, decision: DecisionRecord)] {
        try await read { connection in
            try await PostgresStore.requireWorkspace(connection, workspaceId)
            var rows: [(seq: Int64, decision: DecisionRecord)] = []
            for try await row in try await connection.query("""
                SELECT \(unescaped: PostgresRows.decisionColumns) FROM decisions
                WHERE workspace_id = \(workspaceId) AND seq > \(afterSeq) ORDER BY seq LIMIT \(Int64(limit))
                """, logger: PostgresLedger.logger) {
                let (seq, decision) = try PostgresRows.decision(row)
                rows.append((seq, decision))
            }
            return rows
        }
    }

    /// Writes events to the outbox, queued for the endpoints that want them, inside the
    /// caller's transaction, which holds the
    /// workspace's lock: a workspace's events are numbered in the order they commit.
    static func appendEvents(_ connection: PostgresConnection, workspaceId: String, _ events: [EventDraft], atMillis: Int64) async throws {
        for event in events {
            let record = EventRecord(seq: 0, id: Identifier.make("evt"), workspaceId: workspaceId, type: event.type, data: event.data, createdAtMillis: atMillis)
            try await connection.query("""
                INSERT INTO events (id, workspace_id, type, body, created_at) VALUES (\(record.id), \(workspaceId), \(event.type.rawValue), \(record.json.serialized), \(atMillis))
                """, logger: PostgresLedger.logger)
            try await fanOut(connection, eventId: record.id, type: event.type, atMillis: atMillis)
        }
    }

    static func purchase(_ connection: PostgresConnection, id: String) async throws -> Purchase? {
        try await connection.query("SELECT \(unescaped: PurchaseRow.columns) FROM purchases WHERE id = \(id)", logger: PostgresLedger.logger).firstRow().map(purchase)
    }

    static func purchase(_ connection: PostgresConnection, paymentIntentId: String) async throws -> Purchase? {
        try await connection.query("SELECT \(unescaped: PurchaseRow.columns) FROM purchases WHERE payment_intent_id = \(paymentIntentId)", logger: PostgresLedger.logger)
            .firstRow().map(purchase)
    }

    /// A purchase from the first columns of a row, in the order of `PurchaseRow.columns`.
    static func purchase(_ row: PostgresRow) throws -> Purchase {
        let cells = row.makeRandomAccess()
        return PurchaseRow.purchase(.init(
            id: try cells[0].decode(String.self), workspaceId: try cells[1].decode(String.self), packageId: try cells[2].decode(String.self),
            creditsMicros: try cells[3].decode(Int64.self), amountCents: try cells[4].decode(Int64.self), currency: try cells[5].decode(String.self),
            status: try cells[6].decode(String.self), paymentIntentId: try cells[7].decode(String?.self), refundedCents: try cells[8].decode(Int64.self),
            creditsRefundedMicros: try cells[9].decode(Int64.self), creditsUnrecoveredMicros: try cells[10].decode(Int64.self),
            grantId: try cells[11].decode(String?.self), failureReason: try cells[12].decode(String?.self),
            createdAt: try cells[13].decode(Int64.self), updatedAt: try cells[14].decode(Int64.self)))
    }
}
