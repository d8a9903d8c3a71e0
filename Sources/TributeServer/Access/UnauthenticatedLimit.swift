import HTTPTypes
import TributeCore
import TributeStore

extension RateLimit {
    /// The default limit of requests without a valid key, per client address
    /// (`TRIBUTE_UNAUTHENTICATED_RATE_LIMIT`): 40 at once, then 20 a second. A client that
    /// has a key never meets it; one that forgot its key learns so at once, and one that
    /// guesses keys gets 20 guesses a second.
    public static let unauthenticatedStandard = RateLimit(perSecond: 20, burst: 40)!
}

extension Auth {
    /// The answer to an API request from `address` that shows no valid key (none, or an
    /// unknown or revoked one): `401`, or `429 rate_limited` once the address has made more
    /// such requests than `unauthenticated` allows.
    ///
    /// Only failures count, so that many clients behind one address (a proxy, a NAT) whose
    /// keys are valid are never refused for it: each takes from its own key's bucket. A
    /// dashboard page without a session is not counted: it sends its visitor to the sign-in
    /// page, which has its own limit of failures (`Dashboard.signIn`), and behind a proxy
    /// one client's flood must not keep everyone else's browser from getting there. Nor is
    /// a peer without an IP address (a test's channel; Tribute listens on TCP only).
    func refusal(unauthenticatedFrom address: ClientAddress, by credential: Credential) -> APIError {
        guard let unauthenticated, credential == .bearerKey, address != .unknown else { return .unauthenticated }
        let outcome = unauthenticated.take(address)
        return outcome.allowed ? .unauthenticated : .unauthenticatedRateLimited(outcome)
    }
}

extension APIError {
    /// `429 rate_limited` for a client address past its limit of requests without a valid
    /// key, with `Retry-After` and `RateLimit-*` as a key's limit answers.
    static func unauthenticatedRateLimited(_ outcome: TokenBucket.Outcome) -> APIError {
        var error = APIError(
            status: .tooManyRequests, code: "rate_limited",
            message: "This address has made more requests without a valid API key than its limit allows; retry in \(outcome.retryAfterSeconds) s with Authorization: Bearer <key>")
        error.headers[.retryAfter] = String(outcome.retryAfterSeconds)
        error.headers.append(rateLimitFieldsOf: outcome)
        return error
    }
}
