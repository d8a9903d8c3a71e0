import GRDB
import TributeCore

extension SQLiteStore {
    public func createWebhookEndpoint(url: String, eventTypes: [EventType], description: String?, maxEndpoints: Int) async throws -> (WebhookEndpoint, secret: String) {
        let (endpoint, secret, insert) = WebhookEndpointRows.register(url: url, eventTypes: eventTypes, description: description, nowMillis: clock.nowMillis())
        try await write { db in
            // The one writer: no other registration runs between the count and the insert.
            try WebhookEndpointRows.checkRoom(count: try db.one(WebhookEndpointRows.liveCount(upTo: maxEndpoints)) { try $0.int() }, maxEndpoints: maxEndpoints)
            try db.run(insert)
        }
        return (endpoint, secret)
    }

    public func webhookEndpoints() async throws -> [WebhookEndpoint] {
        try await pool.read { db in try db.all(WebhookEndpointRows.allLive, WebhookEndpointRows.endpoint) }
    }

    public func deleteWebhookEndpoint(id: String) async throws {
        let delete = WebhookEndpointRows.delete(id: id, nowMillis: clock.nowMillis())
        try await write { db in
            guard try db.runChangingRows(delete.endpoint) else { throw TributeError.webhookEndpointNotFound(id) }
            try db.run(delete.pendingDeliveries)
        }
    }

    public func webhookDeliveries(endpointId: String, limit: Int, cursor: String?) async throws -> Page<WebhookDelivery> {
        let query = DeliveryRow.page(endpointId: endpointId, beforeSeq: try listCursor(cursor) ?? Int64.max, limit: limit)
        return try await pool.read { db in
            guard try db.exists(WebhookEndpointRows.live(id: endpointId)) else { throw TributeError.webhookEndpointNotFound(endpointId) }
            return page(try db.all(query, DeliveryRow.delivery), limit: limit)
        }
    }

    public func claimDeliveries(limit: Int, perEndpoint: Int, inFlight: [String: Int], leaseMillis: Int64) async throws -> [DeliveryJob] {
        guard limit > 0, perEndpoint > 0 else { return [] }
        let nowMillis = clock.nowMillis()
        // Most polls find nothing due; a read answers that without a write (and an fsync).
        let candidates = try await pool.read { db in
            try db.all(StoreStatement("""
                SELECT d.seq, d.endpoint_id, d.next_attempt_at FROM webhook_endpoints w JOIN webhook_deliveries d ON d.seq IN (
                    SELECT p.seq FROM webhook_deliveries p WHERE p.endpoint_id = w.id AND p.status = 'pending' AND p.next_attempt_at <= ?
                    ORDER BY p.next_attempt_at, p.seq LIMIT ?)
                WHERE w.deleted_at IS NULL
                """, [.int(nowMillis), .int(Int64(perEndpoint))]), DeliveryRow.candidate)
        }
        let chosen = DeliveryRow.chosen(candidates, limit: limit, perEndpoint: perEndpoint, inFlight: inFlight)
        guard !chosen.isEmpty else { return [] }
        return try await write { db in
            // The writer is the only one: what it reads here stays due until it leases it
            // below (a delivery recorded since the read above is no longer due, and skipped).
            let jobs = try db.all(DeliveryRow.jobs(seqs: chosen, nowMillis: nowMillis), DeliveryRow.job)
            if !jobs.isEmpty { try db.run(DeliveryRow.lease(seqs: jobs.map(\.seq), nowMillis: nowMillis, leaseMillis: leaseMillis)) }
            return jobs
        }
    }

    public func recordDelivery(seq: Int64, delivered: Bool, statusCode: Int?, error: String?, nextAttemptAtMillis: Int64?) async throws {
        let outcome = DeliveryRow.outcome(seq: seq, delivered: delivered, statusCode: statusCode, error: error, nextAttemptAtMillis: nextAttemptAtMillis, nowMillis: clock.nowMillis())
        try await write { db in try db.run(outcome) }
    }

    /// Queues the event for every endpoint that wants its type, in the caller's transaction.
    static func fanOut(_ db: Database, eventId: String, type: EventType, atMillis: Int64) throws {
        try db.execute(sql: """
            INSERT INTO webhook_deliveries (endpoint_id, event_id, status, attempts, next_attempt_at, created_at, updated_at)
            SELECT id, ?, 'pending', 0, ?, ?, ? FROM webhook_endpoints
            WHERE deleted_at IS NULL AND (event_types = '' OR instr(',' || event_types || ',', ?) > 0)
            """, arguments: [eventId, atMillis, atMillis, atMillis, ",\(type.rawValue),"])
    }
}
