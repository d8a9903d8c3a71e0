import TributeCore

// Webhook endpoints and their delivery log.

extension WebhookEndpoint: JSONRepresentable {
    /// An endpoint (never its secret), as `/v1/webhook-endpoints` lists it.
    var json: JSON {
        .object([
            "id": .string(id), "url": .string(url), "eventTypes": .array(eventTypes.map { .string($0.rawValue) }),
            "description": .optional(description), "createdAt": .timestamp(millis: createdAtMillis),
        ])
    }
}

extension WebhookDelivery: JSONRepresentable {
    /// One event's delivery to one endpoint, as `/v1/webhook-endpoints/{endpointId}/deliveries` lists it.
    var json: JSON {
        .object([
            "id": .string(id), "endpointId": .string(endpointId), "eventId": .string(eventId), "eventType": .string(eventType),
            "status": .string(status.rawValue), "attempts": .int(Int64(attempts)),
            "nextAttemptAt": nextAttemptAtMillis.map { .timestamp(millis: $0) } ?? .null,
            "lastStatusCode": lastStatusCode.map { .int(Int64($0)) } ?? .null, "lastError": .optional(lastError),
            "createdAt": .timestamp(millis: createdAtMillis), "updatedAt": .timestamp(millis: updatedAtMillis),
        ])
    }
}
