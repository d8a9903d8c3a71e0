import TributeCore

/// The `webhook_endpoints` table as both stores read and write it.
enum WebhookEndpointRows {
    /// An endpoint registered now, with the secret that will sign its deliveries.
    static func register(url: String, eventTypes: [EventType], description: String?, nowMillis: Int64) -> (WebhookEndpoint, secret: String, insert: StoreStatement) {
        let endpoint = WebhookEndpoint(id: Identifier.make("we"), url: url, eventTypes: eventTypes, description: description, createdAtMillis: nowMillis)
        let secret = WebhookSecret.make()
        let insert = StoreStatement(
            "INSERT INTO webhook_endpoints (id, url, secret, event_types, description, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [.text(endpoint.id), .text(url), .text(secret), .text(endpoint.storedEventTypes), .text(description), .int(nowMillis)])
        return (endpoint, secret, insert)
    }

    /// How many endpoints are live, counting no further than `limit`.
    static func liveCount(upTo limit: Int) -> StoreStatement {
        StoreStatement("SELECT COUNT(*) FROM (SELECT 1 FROM webhook_endpoints WHERE deleted_at IS NULL LIMIT ?) AS counted", [.int(Int64(limit))])
    }

    /// Refuses a new endpoint while `count` (of at most `maxEndpoints`) are live.
    /// - Throws: `tooManyWebhookEndpoints`.
    static func checkRoom(count: Int64?, maxEndpoints: Int) throws {
        guard (count ?? 0) >= Int64(maxEndpoints) else { return }
        throw TributeError.tooManyWebhookEndpoints(max: maxEndpoints)
    }

    /// Every endpoint not deleted, oldest first.
    static let allLive = StoreStatement("SELECT id, url, event_types, description, created_at FROM webhook_endpoints WHERE deleted_at IS NULL ORDER BY seq")

    /// An endpoint of `allLive`.
    /// - Throws: `StoreFault.unknownValue` for an event type Tribute never writes.
    static func endpoint(_ columns: inout some ColumnReader) throws -> WebhookEndpoint {
        WebhookEndpoint(
            id: try columns.text(), url: try columns.text(), eventTypes: try eventTypes(stored: try columns.text()),
            description: try columns.optionalText(), createdAtMillis: try columns.int())
    }

    /// `webhook_endpoints.event_types`: comma-separated, empty for all.
    /// - Throws: `StoreFault.unknownValue` for a type that is none of `EventType`'s, which
    ///   must not quietly narrow what the endpoint receives.
    static func eventTypes(stored text: String) throws -> [EventType] {
        try text.split(separator: ",").map { try storedValue(EventType.self, String($0), column: "webhook_endpoints.event_types") }
    }

    /// The endpoint `id`, unless it is unknown or deleted.
    static func live(id: String) -> StoreStatement {
        StoreStatement("SELECT 1 FROM webhook_endpoints WHERE id = ? AND deleted_at IS NULL", [.text(id)])
    }

    /// What deleting an endpoint writes: the endpoint marked deleted (a statement that
    /// changes no row when it is unknown or deleted already), then its pending deliveries
    /// marked failed.
    static func delete(id: String, nowMillis: Int64) -> (endpoint: StoreStatement, pendingDeliveries: StoreStatement) {
        (StoreStatement("UPDATE webhook_endpoints SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL", [.int(nowMillis), .text(id)]),
         StoreStatement("""
            UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint deleted', updated_at = ?
            WHERE endpoint_id = ? AND status = 'pending'
            """, [.int(nowMillis), .text(id)]))
    }
}
