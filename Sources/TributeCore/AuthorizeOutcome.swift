/// The answer to an authorize call: the response body, and whether it is a replay.
public struct AuthorizeOutcome: Sendable {
    /// The JSON response body, byte for byte what the first call answered.
    public var body: String
    public var replayed: Bool
    public var approved: Bool

    public init(body: String, replayed: Bool, approved: Bool) {
        self.body = body
        self.replayed = replayed
        self.approved = approved
    }

    public init(_ answer: AuthorizeAnswer) {
        self.init(body: answer.json, replayed: false, approved: answer.outcome.approved)
    }
}
