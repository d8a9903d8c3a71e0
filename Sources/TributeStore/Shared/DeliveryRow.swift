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

    /// A due delivery that a claim may take.
    struct Candidate: Sendable, Equatable {
        let seq: Int64
        let endpointId: String
        let dueAtMillis: Int64
    }

    /// A candidate, from a row of (seq, endpoint id, next attempt at).
    static func candidate(_ columns: inout some ColumnReader) throws -> Candidate {
        Candidate(seq: try columns.int(), endpointId: try columns.text(), dueAtMillis: try columns.int())
    }

    /// Which candidates a claim takes: the earliest due first (then by order of writing), at
    /// most `limit`, and from each endpoint no more than `perEndpoint` less what `inFlight`
    /// says the worker is already sending to it. So an endpoint with a long backlog (or
    /// stuck attempts) never takes every place, and the others' deliveries go out beside it.
    static func chosen(_ candidates: [Candidate], limit: Int, perEndpoint: Int, inFlight: [String: Int]) -> [Int64] {
        var sending = inFlight
        var chosen: [Int64] = []
        for candidate in candidates.sorted(by: { ($0.dueAtMillis, $0.seq) < ($1.dueAtMillis, $1.seq) }) {
            guard chosen.count < limit else { break }
            guard sending[candidate.endpointId, default: 0] < perEndpoint else { continue }
            sending[candidate.endpointId, default: 0] += 1
            chosen.append(candidate.seq)
        }
        return chosen
    }

    /// The chosen deliveries that are still due, to be sent: rows of (seq, endpoint id, url,
    /// secret, event id, event type, body, the attempt it will be), for `job`.
    static func jobs(seqs: [Int64], nowMillis: Int64) -> StoreStatement {
        StoreStatement("""
            SELECT d.seq, d.endpoint_id, w.url, w.secret, d.event_id, e.type, e.body, d.attempts + 1
            FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id JOIN events e ON e.id = d.event_id
            WHERE d.seq IN (\(placeholders(seqs.count))) AND d.status = 'pending' AND d.next_attempt_at <= ?
            ORDER BY d.next_attempt_at, d.seq
            """, seqs.map { .int($0) } + [.int(nowMillis)])
    }

    /// Counts the attempt of each of `seqs` and leases it until `nowMillis + leaseMillis`:
    /// no claim takes it again before then, unless its attempt is recorded first.
    static func lease(seqs: [Int64], nowMillis: Int64, leaseMillis: Int64) -> StoreStatement {
        StoreStatement("""
            UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ?, updated_at = ?
            WHERE seq IN (\(placeholders(seqs.count)))
            """, [.int(nowMillis + leaseMillis), .int(nowMillis)] + seqs.map { .int($0) })
    }

    private static func placeholders(_ count: Int) -> String {
        precondition(count > 0, "a statement over no rows")
        return Array(repeating: "?", count: count).joined(separator: ", ")
    }

    /// A delivery claimed for sending, from a row of `jobs`.
    /// - Throws: `StoreFault.unknownValue` for an event type Tribute never writes.
    static func job(_ columns: inout some ColumnReader) throws -> DeliveryJob {
        DeliveryJob(
            seq: try columns.int(), endpointId: try columns.text(), url: try columns.text(), secret: try columns.text(), eventId: try columns.text(),
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
