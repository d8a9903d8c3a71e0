import GRDB
import TributeCore

extension SQLiteStore {
    public func createWebhookEndpoint(url: String, eventTypes: [EventType], description: String?) async throws -> (WebhookEndpoint, secret: String) {
        let nowMillis = clock.nowMillis()
        let endpoint = WebhookEndpoint(id: Identifier.make("we"), url: url, eventTypes: eventTypes, description: description, createdAtMillis: nowMillis)
        let secret = WebhookSecret.make()
        return try await write { db in
            try db.execute(sql: "INSERT INTO webhook_endpoints (id, url, secret, event_types, description, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [endpoint.id, url, secret, endpoint.storedEventTypes, description, nowMillis])
            return (endpoint, secret)
        }
    }

    public func webhookEndpoints() async throws -> [WebhookEndpoint] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, url, event_types, description, created_at FROM webhook_endpoints WHERE deleted_at IS NULL ORDER BY seq").map {
                WebhookEndpoint(id: try $0.decode(atIndex: 0), url: try $0.decode(atIndex: 1), eventTypes: WebhookEndpoint.eventTypes(stored: try $0.decode(atIndex: 2)), description: try $0.decode(atIndex: 3), createdAtMillis: try $0.decode(atIndex: 4))
            }
        }
    }

    public func deleteWebhookEndpoint(id: String) async throws {
        let nowMillis = clock.nowMillis()
        try await write { db in
            try db.execute(sql: "UPDATE webhook_endpoints SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL", arguments: [nowMillis, id])
            guard db.changesCount == 1 else { throw TributeError.webhookEndpointNotFound(id) }
            try db.execute(sql: """
                UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint deleted', updated_at = ? WHERE endpoint_id = ? AND status = 'pending'
                """, arguments: [nowMillis, id])
        }
    }

    public func webhookDeliveries(endpointId: String, limit: Int, cursor: String?) async throws -> Page<WebhookDelivery> {
        let before = try listCursor(cursor) ?? Int64.max
        return try await pool.read { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM webhook_endpoints WHERE id = ? AND deleted_at IS NULL", arguments: [endpointId]) == true else {
                throw TributeError.webhookEndpointNotFound(endpointId)
            }
            let rows = try Row.fetchAll(db, sql: """
                SELECT d.seq, d.endpoint_id, d.event_id, e.type, d.status, d.attempts, d.next_attempt_at, d.last_status_code, d.last_error,
                       d.created_at, d.updated_at
                FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
                WHERE d.endpoint_id = ? AND d.seq < ? ORDER BY d.seq DESC LIMIT ?
                """, arguments: [endpointId, before, limit + 1])
            let page = Array(rows.prefix(limit))
            let items = try page.map { row in
                DeliveryRow.delivery(seq: try row.decode(atIndex: 0), endpointId: try row.decode(atIndex: 1), eventId: try row.decode(atIndex: 2), eventType: try row.decode(atIndex: 3), status: try row.decode(atIndex: 4), attempts: try row.decode(atIndex: 5),
                                     nextAttemptAt: try row.decode(atIndex: 6), lastStatusCode: try row.decode(atIndex: 7), lastError: try row.decode(atIndex: 8), createdAt: try row.decode(atIndex: 9), updatedAt: try row.decode(atIndex: 10))
            }
            return Page(items: items, nextCursor: rows.count > limit ? String(page.last![0] as Int64) : nil)
        }
    }

    public func claimDeliveries(limit: Int, leaseMillis: Int64) async throws -> [DeliveryJob] {
        let nowMillis = clock.nowMillis()
        // Most polls find nothing due; a read answers that without a write (and an fsync).
        let due = try await pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ? LIMIT 1", arguments: [nowMillis]) == true
        }
        guard due else { return [] }
        return try await write { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT d.seq, w.url, w.secret, d.event_id, e.type, e.body, d.attempts
                FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id JOIN events e ON e.id = d.event_id
                WHERE d.status = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.seq LIMIT ?
                """, arguments: [nowMillis, limit])
            let lease = try db.cachedStatement(sql: "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ?, updated_at = ? WHERE seq = ?")
            return try rows.map { row in
                try lease.execute(arguments: [nowMillis + leaseMillis, nowMillis, try row.decode(atIndex: 0) as Int64])
                return DeliveryJob(seq: try row.decode(atIndex: 0), url: try row.decode(atIndex: 1), secret: try row.decode(atIndex: 2), eventId: try row.decode(atIndex: 3), eventType: try row.decode(atIndex: 4), body: try row.decode(atIndex: 5), attempt: (try row.decode(atIndex: 6) as Int) + 1)
            }
        }
    }

    public func recordDelivery(seq: Int64, delivered: Bool, statusCode: Int?, error: String?, nextAttemptAtMillis: Int64?) async throws {
        let nowMillis = clock.nowMillis()
        let status: DeliveryStatus = delivered ? .delivered : nextAttemptAtMillis == nil ? .failed : .pending
        try await write { db in
            try db.execute(sql: """
                UPDATE webhook_deliveries SET status = ?, last_status_code = ?, last_error = ?, next_attempt_at = ?, updated_at = ?
                WHERE seq = ? AND status = 'pending'
                """, arguments: [status.rawValue, statusCode, error.map { String($0.prefix(500)) }, nextAttemptAtMillis ?? nowMillis, nowMillis, seq])
        }
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
