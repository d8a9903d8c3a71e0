/// A URL that receives Tribute's events, signed with its own secret.
public struct WebhookEndpoint: Sendable, Equatable {
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
}
