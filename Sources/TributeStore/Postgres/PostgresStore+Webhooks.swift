import PostgresNIO
import TributeCore

extension PostgresStore {
    public func createWebhookEndpoint(url: String, eventTypes: [EventType], description: String?, maxEndpoints: Int) async throws -> (WebhookEndpoint, secret: String) {
        let (endpoint, secret, insert) = WebhookEndpointRows.register(url: url, eventTypes: eventTypes, description: description, nowMillis: clock.nowMillis())
        try await transaction { connection in
            // Registrations (rare, admin only) take turns, on every instance, so that no other
            // one inserts between this count and this insert. Events' fan-out only reads the
            // table, so no write of an event waits for this lock.
            try await connection.run(StoreStatement("LOCK TABLE webhook_endpoints IN SHARE ROW EXCLUSIVE MODE"))
            try WebhookEndpointRows.checkRoom(count: try await connection.one(WebhookEndpointRows.liveCount(upTo: maxEndpoints)) { try $0.int() }, maxEndpoints: maxEndpoints)
            try await connection.run(insert)
        }
        return (endpoint, secret)
    }

    public func webhookEndpoints() async throws -> [WebhookEndpoint] {
        try await read { connection in try await connection.all(WebhookEndpointRows.allLive, WebhookEndpointRows.endpoint) }
    }

    public func deleteWebhookEndpoint(id: String) async throws {
        let delete = WebhookEndpointRows.delete(id: id, nowMillis: clock.nowMillis())
        try await transaction { connection in
            guard try await connection.runChangingRows(delete.endpoint) else { throw TributeError.webhookEndpointNotFound(id) }
            try await connection.run(delete.pendingDeliveries)
        }
    }

    public func webhookDeliveries(endpointId: String, limit: Int, cursor: String?) async throws -> Page<WebhookDelivery> {
        let query = DeliveryRow.page(endpointId: endpointId, beforeSeq: try listCursor(cursor) ?? Int64.max, limit: limit)
        return try await read { connection in
            guard try await connection.exists(WebhookEndpointRows.live(id: endpointId)) else { throw TributeError.webhookEndpointNotFound(endpointId) }
            return page(try await connection.all(query, DeliveryRow.delivery), limit: limit)
        }
    }

    /// Instances claim with `SKIP LOCKED`, so that each due delivery goes to one of them:
    /// each endpoint's earliest due deliveries are locked (those another instance holds are
    /// passed over for the next), then the chosen ones leased.
    public func claimDeliveries(limit: Int, perEndpoint: Int, inFlight: [String: Int], leaseMillis: Int64) async throws -> [DeliveryJob] {
        guard limit > 0, perEndpoint > 0 else { return [] }
        let nowMillis = clock.nowMillis()
        return try await transaction { connection in
            let candidates = try await connection.all(StoreStatement("""
                SELECT d.seq, d.endpoint_id, d.next_attempt_at FROM webhook_endpoints w CROSS JOIN LATERAL (
                    SELECT p.seq, p.endpoint_id, p.next_attempt_at FROM webhook_deliveries p
                    WHERE p.endpoint_id = w.id AND p.status = 'pending' AND p.next_attempt_at <= ?
                    ORDER BY p.next_attempt_at, p.seq LIMIT ? FOR UPDATE SKIP LOCKED) d
                WHERE w.deleted_at IS NULL
                """, [.int(nowMillis), .int(Int64(perEndpoint))]), DeliveryRow.candidate)
            let chosen = DeliveryRow.chosen(candidates, limit: limit, perEndpoint: perEndpoint, inFlight: inFlight)
            guard !chosen.isEmpty else { return [] }
            let jobs = try await connection.all(DeliveryRow.jobs(seqs: chosen, nowMillis: nowMillis), DeliveryRow.job)
            if !jobs.isEmpty { try await connection.run(DeliveryRow.lease(seqs: jobs.map(\.seq), nowMillis: nowMillis, leaseMillis: leaseMillis)) }
            return jobs
        }
    }

    public func recordDelivery(seq: Int64, delivered: Bool, statusCode: Int?, error: String?, nextAttemptAtMillis: Int64?) async throws {
        let outcome = DeliveryRow.outcome(seq: seq, delivered: delivered, statusCode: statusCode, error: error, nextAttemptAtMillis: nextAttemptAtMillis, nowMillis: clock.nowMillis())
        try await transaction { connection in try await connection.run(outcome) }
    }

    /// Queues the event for every endpoint that wants its type, in the caller's transaction.
    static func fanOut(_ connection: PostgresConnection, eventId: String, type: EventType, atMillis: Int64) async throws {
        try await connection.query("""
            INSERT INTO webhook_deliveries (endpoint_id, event_id, status, attempts, next_attempt_at, created_at, updated_at)
            SELECT id, \(eventId), 'pending', 0, \(atMillis), \(atMillis), \(atMillis) FROM webhook_endpoints
            WHERE deleted_at IS NULL AND (event_types = '' OR strpos(',' || event_types || ',', \(",\(type.rawValue),")) > 0)
            """, logger: PostgresLedger.logger)
    }
}
