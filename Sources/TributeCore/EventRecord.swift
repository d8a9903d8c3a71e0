/// An event to write to the outbox: its type and its `data` object.
public typealias EventDraft = (type: EventType, data: [String: JSON])

/// One event of the outbox: written in the same transaction as the change it reports, then
/// delivered to webhook endpoints and streamed to live clients.
public struct EventRecord: Sendable, Equatable {
    /// The store's order of events; the stream's `id:` and resume point.
    public var seq: Int64
    public var id: String
    public var workspaceId: String
    public var type: EventType
    public var data: [String: JSON]
    public var createdAtMillis: Int64

    public init(seq: Int64, id: String, workspaceId: String, type: EventType, data: [String: JSON], createdAtMillis: Int64) {
        self.seq = seq
        self.id = id
        self.workspaceId = workspaceId
        self.type = type
        self.data = data
        self.createdAtMillis = createdAtMillis
    }

    /// The body a webhook endpoint receives, and the stream's `data:` line.
    ///
    /// In TributeCore, unlike the API's other bodies (TributeServer's `Wire/`): the stores
    /// write this text into the events table when the event is recorded, and deliveries
    /// send it from there; `init?(seq:body:)` reads it back.
    public var json: JSON {
        .object([
            "id": .string(id), "type": .string(type.rawValue), "workspaceId": .string(workspaceId),
            "createdAt": .timestamp(millis: createdAtMillis), "data": .object(data),
        ])
    }

    /// Rebuilds an event from its stored body.
    public init?(seq: Int64, body: String) {
        guard let object = (try? JSON.parse(Array(body.utf8)))?.objectValue,
              let id = object["id"]?.stringValue, let type = object["type"]?.stringValue.flatMap(EventType.init(rawValue:)),
              let workspaceId = object["workspaceId"]?.stringValue, let created = object["createdAt"]?.stringValue.flatMap(ISOTime.parse),
              let data = object["data"]?.objectValue else { return nil }
        self.init(seq: seq, id: id, workspaceId: workspaceId, type: type, data: data, createdAtMillis: created)
    }
}
