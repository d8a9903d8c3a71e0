/// A delivery claimed by a worker: everything needed to send it once.
public struct DeliveryJob: Sendable, Equatable {
    /// The delivery's row; `recordDelivery` takes it back.
    public var seq: Int64
    /// The endpoint it goes to: the worker counts what it sends to each.
    public var endpointId: String
    public var url: String
    public var secret: String
    public var eventId: String
    public var eventType: String
    public var body: String
    /// This attempt's number, from 1.
    public var attempt: Int

    public init(seq: Int64, endpointId: String, url: String, secret: String, eventId: String, eventType: String, body: String, attempt: Int) {
        self.seq = seq
        self.endpointId = endpointId
        self.url = url
        self.secret = secret
        self.eventId = eventId
        self.eventType = eventType
        self.body = body
        self.attempt = attempt
    }
}
