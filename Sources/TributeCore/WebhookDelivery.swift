/// Where the delivery of one event to one endpoint stands.
public enum DeliveryStatus: String, Sendable, CaseIterable {
    case pending
    case delivered
    /// Every attempt failed, or the endpoint was deleted.
    case failed
}

/// One event's delivery to one endpoint, as the delivery log shows it.
public struct WebhookDelivery: Sendable, Equatable {
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
}
