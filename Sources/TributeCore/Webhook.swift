/// A URL that receives Tribute's events, signed with its own secret.
public struct WebhookEndpoint: JSONRepresentable, Equatable {
    public var id: String
    public var url: String
    /// Empty: every event type.
    public var eventTypes: [EventType]
    public var description: String?
    public var createdAtMillis: Int64

    public init(id: String, url: String, eventTypes: [EventType], description: String?, createdAtMillis: Int64) {
        self.id = id
        self.url = url
        self.eventTypes = eventTypes
        self.description = description
        self.createdAtMillis = createdAtMillis
    }

    /// Event types as stored: comma-separated, empty for all.
    public var storedEventTypes: String { eventTypes.map(\.rawValue).joined(separator: ",") }

    public static func eventTypes(stored: String) -> [EventType] {
        stored.split(separator: ",").compactMap { EventType(rawValue: String($0)) }
    }

    public var json: JSON {
        .object([
            "id": .string(id), "url": .string(url), "eventTypes": .array(eventTypes.map { .string($0.rawValue) }),
            "description": .optional(description), "createdAt": .timestamp(millis: createdAtMillis),
        ])
    }
}

/// Where the delivery of one event to one endpoint stands.
public enum DeliveryStatus: String, Sendable, CaseIterable {
    case pending
    case delivered
    /// Every attempt failed, or the endpoint was deleted.
    case failed
}

/// One event's delivery to one endpoint, as the delivery log shows it.
public struct WebhookDelivery: JSONRepresentable, Equatable {
    public var id: String
    public var endpointId: String
    public var eventId: String
    public var eventType: String
    public var status: DeliveryStatus
    public var attempts: Int
    /// When the next attempt is due (pending only).
    public var nextAttemptAtMillis: Int64?
    public var lastStatusCode: Int?
    public var lastError: String?
    public var createdAtMillis: Int64
    public var updatedAtMillis: Int64

    public init(id: String, endpointId: String, eventId: String, eventType: String, status: DeliveryStatus, attempts: Int, nextAttemptAtMillis: Int64?,
                lastStatusCode: Int?, lastError: String?, createdAtMillis: Int64, updatedAtMillis: Int64) {
        self.id = id
        self.endpointId = endpointId
        self.eventId = eventId
        self.eventType = eventType
        self.status = status
        self.attempts = attempts
        self.nextAttemptAtMillis = nextAttemptAtMillis
        self.lastStatusCode = lastStatusCode
        self.lastError = lastError
        self.createdAtMillis = createdAtMillis
        self.updatedAtMillis = updatedAtMillis
    }

    public var json: JSON {
        .object([
            "id": .string(id), "endpointId": .string(endpointId), "eventId": .string(eventId), "eventType": .string(eventType),
            "status": .string(status.rawValue), "attempts": .int(Int64(attempts)),
            "nextAttemptAt": nextAttemptAtMillis.map { .timestamp(millis: $0) } ?? .null,
            "lastStatusCode": lastStatusCode.map { .int(Int64($0)) } ?? .null, "lastError": .optional(lastError),
            "createdAt": .timestamp(millis: createdAtMillis), "updatedAt": .timestamp(millis: updatedAtMillis),
        ])
    }
}

/// A delivery claimed by a worker: everything needed to send it once.
public struct DeliveryJob: Sendable, Equatable {
    /// The delivery's row; `recordDelivery` takes it back.
    public var seq: Int64
    public var url: String
    public var secret: String
    public var eventId: String
    public var eventType: String
    public var body: String
    /// This attempt's number, from 1.
    public var attempt: Int

    public init(seq: Int64, url: String, secret: String, eventId: String, eventType: String, body: String, attempt: Int) {
        self.seq = seq
        self.url = url
        self.secret = secret
        self.eventId = eventId
        self.eventType = eventType
        self.body = body
        self.attempt = attempt
    }
}

/// How failed deliveries are retried: exponential backoff from `baseDelayMillis`, doubling
/// up to `maxDelayMillis`, for at most `maxAttempts` attempts in all.
public struct RetryPolicy: Sendable, Equatable {
    public var baseDelayMillis: Int64
    public var maxDelayMillis: Int64
    public var maxAttempts: Int

    /// 30 s, 1 min, 2 min, … capped at 6 h, 12 attempts: about 16 hours in all.
    public static let standard = RetryPolicy(baseDelayMillis: 30_000, maxDelayMillis: 6 * 3_600_000, maxAttempts: 12)

    public init(baseDelayMillis: Int64, maxDelayMillis: Int64, maxAttempts: Int) {
        self.baseDelayMillis = max(1, baseDelayMillis)
        self.maxDelayMillis = max(self.baseDelayMillis, maxDelayMillis)
        self.maxAttempts = max(1, maxAttempts)
    }

    /// When to try again after failed attempt number `attempt` (from 1), or `nil` to give up.
    public func nextAttemptAt(afterAttempt attempt: Int, nowMillis: Int64) -> Int64? {
        guard attempt < maxAttempts else { return nil }
        let doublings = min(attempt - 1, 40)
        let delay = baseDelayMillis > maxDelayMillis >> doublings ? maxDelayMillis : min(maxDelayMillis, baseDelayMillis << doublings)
        return nowMillis + delay
    }
}
