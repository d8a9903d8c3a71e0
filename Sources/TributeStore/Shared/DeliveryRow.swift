import TributeCore

/// The `webhook_deliveries` table as both stores read and write it.
enum DeliveryRow {
    /// A page of an endpoint's delivery log, newest first, before `beforeSeq`: `limit + 1`
    /// rows, so that the page knows whether another follows.
    static func page(endpointId: String, beforeSeq: Int64, limit: Int) -> StoreStatement {
        StoreStatement("""
            SELECT d.seq, d.endpoint_id, d.event_id, e.type, d.status, d.attempts, d.next_attempt_at, d.last_status_code, d.last_error,
                   d.created_at, d.updated_at
            FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
            WHERE d.endpoint_id = ? AND d.seq < ? ORDER BY d.seq DESC LIMIT ?
            """, [.text(endpointId), .int(beforeSeq), .int(Int64(limit) + 1)])
    }

    /// A delivery log row of `page`, with its order number.
    /// - Throws: `StoreFault.unknownValue` for an event type or status Tribute never writes.
    static func delivery(_ columns: inout some ColumnReader) throws -> (seq: Int64, item: WebhookDelivery) {
        let seq = try columns.int()
        let endpointId = try columns.text(), eventId = try columns.text()
        let eventType = try columns.value(EventType.self, column: "events.type")
        let status = try columns.value(DeliveryStatus.self, column: "webhook_deliveries.status")
        let attempts = try columns.int(), nextAttemptAtMillis = try columns.int()
        let lastStatusCode = try columns.optionalInt(), lastError = try columns.optionalText()
        let delivery = WebhookDelivery(
            id: "dlv_\(seq)", endpointId: endpointId, eventId: eventId, eventType: eventType.rawValue, status: status, attempts: Int(attempts),
            nextAttemptAtMillis: status == .pending ? nextAttemptAtMillis : nil, lastStatusCode: lastStatusCode.map { Int($0) }, lastError: lastError,
            createdAtMillis: try columns.int(), updatedAtMillis: try columns.int())
        return (seq, delivery)
    }

    /// A delivery claimed for sending, from a row of (seq, url, secret, event id, event type,
    /// body, the attempt it is).
    /// - Throws: `StoreFault.unknownValue` for an event type Tribute never writes.
    static func job(_ columns: inout some ColumnReader) throws -> DeliveryJob {
        DeliveryJob(
            seq: try columns.int(), url: try columns.text(), secret: try columns.text(), eventId: try columns.text(),
            eventType: try columns.value(EventType.self, column: "events.type").rawValue, body: try columns.text(), attempt: Int(try columns.int()))
    }

    /// Records how an attempt went: delivered, due again at `nextAttemptAtMillis`, or (with
    /// neither) failed for good. A delivery no longer pending is left as it is.
    static func outcome(seq: Int64, delivered: Bool, statusCode: Int?, error: String?, nextAttemptAtMillis: Int64?, nowMillis: Int64) -> StoreStatement {
        let status: DeliveryStatus = delivered ? .delivered : nextAttemptAtMillis == nil ? .failed : .pending
        return StoreStatement("""
            UPDATE webhook_deliveries SET status = ?, last_status_code = ?, last_error = ?, next_attempt_at = ?, updated_at = ?
            WHERE seq = ? AND status = 'pending'
            """, [
                .text(status.rawValue), .int(statusCode.map { Int64($0) }), .text(error.map { String($0.prefix(500)) }),
                .int(nextAttemptAtMillis ?? nowMillis), .int(nowMillis), .int(seq),
            ])
    }
}

/// Secrets that sign outbound webhooks. Unlike API keys they are kept as they are, because
/// every delivery needs the secret itself to compute its HMAC.
enum WebhookSecret {
    static func make() -> String { "whsec_" + Identifier.randomBase62(count: 32) }
}
