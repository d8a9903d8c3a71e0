/// Every way a `TributeClient` call can fail.
///
/// A denial is not an error of `authorizeAndDebit` or `hold` (they return the decision);
/// only `withHold` throws `denied`, because it cannot run its body without a hold.
public enum TributeClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server answered with an error body: its code, HTTP status and message. Nothing was
    /// written. Never retried, except `rate_limited`/`overloaded` (429) until the retry
    /// policy gave up.
    case server(code: ServerErrorCode, status: Int, message: String)
    /// `withHold` only: the hold was denied (for instance `.budgetExceeded`); the body did not run.
    case denied(reason: Decision.Reason, decision: Decision)
    /// Tribute could not be reached: every attempt failed in transit or answered 500, 502,
    /// 503 or 504, until the retry policy's attempts or time ran out. Under
    /// `.failClosed` (the default) this is the answer; under `.failOpen` it is the answer once
    /// the local allowances are used up, and for every call other than authorize and hold.
    case unavailable(attempts: Int, lastFailure: String)
    /// An answer that is not what the API documents (not JSON, a field missing or of the wrong
    /// type, too large). The call's effect on the server is unknown; retrying it with the same
    /// idempotency key is safe.
    case invalidResponse(status: Int, detail: String)
    /// The client was built with a base URL or API key it cannot use.
    case invalidConfiguration(String)

    /// The server's error code, for `.server` errors.
    public var serverCode: ServerErrorCode? {
        if case .server(let code, _, _) = self { code } else { nil }
    }

    public var description: String {
        switch self {
        case .server(let code, let status, let message): "Tribute answered \(status) \(code): \(message)"
        case .denied(let reason, let decision): "Denied: \(reason) (\(decision.message))"
        case .unavailable(let attempts, let lastFailure): "Tribute could not be reached after \(attempts) attempt(s): \(lastFailure)"
        case .invalidResponse(let status, let detail): "Tribute's answer (HTTP \(status)) could not be read: \(detail)"
        case .invalidConfiguration(let detail): "Invalid TributeClient configuration: \(detail)"
        }
    }
}
