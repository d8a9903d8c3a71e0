import PostgresNIO
import TributeCore

extension PostgresStore {
    public func createWebhookEndpoint(url: String, eventTypes: [EventType], description: String?) async throws -> (WebhookEndpoint, secret: String) {
        let nowMillis = clock.nowMillis()
        let endpoint = WebhookEndpoint(id: Identifier.make("we"), url: url, eventTypes: eventTypes, description: description, createdAtMillis: nowMillis)
        let secret = WebhookSecret.make()
        try await transaction { connection in
            try await connection.query("""
                INSERT INTO webhook_endpoints (id, url, secret, event_types, description, created_at)
                VALUES (\(endpoint.id), \(url), \(secret), \(endpoint.storedEventTypes), \(description), \(nowMillis))
                """, logger: PostgresLedger.logger)
        }
        return (endpoint, secret)
    }

    public func webhookEndpoints() async throws -> [WebhookEndpoint] {
        try await read { connection in
            var endpoints: [WebhookEndpoint] = []
            for try await (id, url, types, description, created) in try await connection.query(
                "SELECT id, url, event_types, description, created_at FROM webhook_endpoints WHERE deleted_at IS NULL ORDER BY seq", logger: PostgresLedger.logger
            ).decode((String, String, String, String?, Int64).self) {
                endpoints.append(WebhookEndpoint(id: id, url: url, eventTypes: WebhookEndpoint.eventTypes(stored: types), description: description, createdAtMillis: created))
            }
            return endpoints
        }
    }

    public func deleteWebhookEndpoint(id: String) async throws {
        let nowMillis = clock.nowMillis()
        try await transaction { connection in
            guard try await connection.query("""
                UPDATE webhook_endpoints SET deleted_at = \(nowMillis) WHERE id = \(id) AND deleted_at IS NULL RETURNING id
                """, logger: PostgresLedger.logger).firstRow() != nil else { throw TributeError.webhookEndpointNotFound(id) }
            try await connection.query("""
                UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint deleted', updated_at = \(nowMillis)
                WHERE endpoint_id = \(id) AND status = 'pending'
                """, logger: PostgresLedger.logger)
        }
    }

    public func webhookDeliveries(endpointId: String, limit: Int, cursor: String?) async throws -> Page<WebhookDelivery> {
        let before = try listCursor(cursor) ?? Int64.max
        return try await read { connection in
            guard try await connection.query("SELECT 1 FROM webhook_endpoints WHERE id = \(endpointId) AND deleted_at IS NULL", logger: PostgresLedger.logger).firstRow() != nil else {
                throw TributeError.webhookEndpointNotFound(endpointId)
            }
            var rows: [(seq: Int64, delivery: WebhookDelivery)] = []
            for try await (seq, endpoint, eventId, type, status, attempts, next, code, error, created, updated) in try await connection.query("""
                SELECT d.seq, d.endpoint_id, d.event_id, e.type, d.status, d.attempts, d.next_attempt_at, d.last_status_code, d.last_error,
                       d.created_at, d.updated_at
                FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
                WHERE d.endpoint_id = \(endpointId) AND d.seq < \(before) ORDER BY d.seq DESC LIMIT \(Int64(limit + 1))
                """, logger: PostgresLedger.logger).decode((Int64, String, String, String, String, Int32, Int64, Int32?, String?, Int64, Int64).self) {
                rows.append((seq, DeliveryRow.delivery(
                    seq: seq, endpointId: endpoint, eventId: eventId, eventType: type, status: status, attempts: Int(attempts), nextAttemptAt: next,
                    lastStatusCode: code.map(Int.init), lastError: error, createdAt: created, updatedAt: updated)))
            }
            let page = Array(rows.prefix(limit))
            return Page(items: page.map(\.delivery), nextCursor: rows.count > limit ? String(page.last!.seq) : nil)
        }
    }

    /// Instances claim with `SKIP LOCKED`, so that each due delivery goes to one of them.
    public func claimDeliveries(limit: Int, leaseMillis: Int64) async throws -> [DeliveryJob] {
        let nowMillis = clock.nowMillis()
        return try await transaction { connection in
            var jobs: [DeliveryJob] = []
            for try await (seq, url, secret, eventId, type, body, attempts) in try await connection.query("""
                WITH due AS (
                    SELECT seq FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= \(nowMillis)
                    ORDER BY next_attempt_at, seq LIMIT \(Int64(limit)) FOR UPDATE SKIP LOCKED),
                claimed AS (
                    UPDATE webhook_deliveries d SET attempts = d.attempts + 1, next_attempt_at = \(nowMillis + leaseMillis), updated_at = \(nowMillis)
                    FROM due WHERE d.seq = due.seq RETURNING d.seq, d.endpoint_id, d.event_id, d.attempts)
                SELECT c.seq, w.url, w.secret, c.event_id, e.type, e.body, c.attempts
                FROM claimed c JOIN webhook_endpoints w ON w.id = c.endpoint_id JOIN events e ON e.id = c.event_id
                """, logger: PostgresLedger.logger).decode((Int64, String, String, String, String, String, Int32).self) {
                jobs.append(DeliveryJob(seq: seq, url: url, secret: secret, eventId: eventId, eventType: type, body: body, attempt: Int(attempts)))
            }
            return jobs
        }
    }

    public func recordDelivery(seq: Int64, delivered: Bool, statusCode: Int?, error: String?, nextAttemptAtMillis: Int64?) async throws {
        let nowMillis = clock.nowMillis()
        let status: DeliveryStatus = delivered ? .delivered : nextAttemptAtMillis == nil ? .failed : .pending
        let code = statusCode.map(Int32.init)
        let error = error.map { String($0.prefix(500)) }
        try await transaction { connection in
            try await connection.query("""
                UPDATE webhook_deliveries SET status = \(status.rawValue), last_status_code = \(code), last_error = \(error),
                    next_attempt_at = \(nextAttemptAtMillis ?? nowMillis), updated_at = \(nowMillis)
                WHERE seq = \(seq) AND status = 'pending'
                """, logger: PostgresLedger.logger)
        }
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
