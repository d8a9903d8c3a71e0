/// The answer to an authorize call: the response body, and whether it is a replay.
public struct AuthorizeOutcome: Sendable {
    /// The JSON response body, byte for byte what the first call answered.
    public var body: String
    public var replayed: Bool
    public var approved: Bool
    /// The decision's reason, for the server's count of decisions by reason; `nil` on a
    /// replay, whose stored body is all that is kept of it (and which decides nothing new).
    public var reason: DecisionReason?

    public init(body: String, replayed: Bool, approved: Bool, reason: DecisionReason? = nil) {
        self.body = body
        self.replayed = replayed
        self.approved = approved
        self.reason = reason
    }

    public init(_ answer: AuthorizeAnswer) {
        self.init(body: answer.json, replayed: false, approved: answer.outcome.approved, reason: answer.outcome.reason)
    }
}
