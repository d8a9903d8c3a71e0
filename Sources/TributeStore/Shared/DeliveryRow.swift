import TributeCore

/// A delivery log row, read the same way by both stores.
enum DeliveryRow {
    static func delivery(seq: Int64, endpointId: String, eventId: String, eventType: String, status: String, attempts: Int, nextAttemptAt: Int64,
                         lastStatusCode: Int?, lastError: String?, createdAt: Int64, updatedAt: Int64) -> WebhookDelivery {
        let status = DeliveryStatus(rawValue: status) ?? .failed
        return WebhookDelivery(
            id: "dlv_\(seq)", endpointId: endpointId, eventId: eventId, eventType: eventType, status: status, attempts: attempts,
            nextAttemptAtMillis: status == .pending ? nextAttemptAt : nil, lastStatusCode: lastStatusCode, lastError: lastError,
            createdAtMillis: createdAt, updatedAtMillis: updatedAt)
    }
}

/// Secrets that sign outbound webhooks. Unlike API keys they are kept as they are, because
/// every delivery needs the secret itself to compute its HMAC.
enum WebhookSecret {
    static func make() -> String { "whsec_" + Identifier.randomBase62(count: 32) }
}
