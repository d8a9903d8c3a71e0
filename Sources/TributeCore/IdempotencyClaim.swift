/// An `Idempotency-Key` with the hash of the request it arrived with.
public struct IdempotencyClaim: Sendable, Equatable {
    public var key: String
    public var requestHash: String

    public init(key: String, requestHash: String) {
        self.key = key
        self.requestHash = requestHash
    }
}
