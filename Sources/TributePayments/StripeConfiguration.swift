/// Where and how Tribute talks to Stripe: `STRIPE_SECRET_KEY`, `STRIPE_WEBHOOK_SECRET`,
/// `STRIPE_API_BASE` (a Stripe-compatible server such as localstripe in tests).
public struct StripeConfiguration: Sendable {
    public var secretKey: String
    public var webhookSecret: String?
    /// Scheme, host and port, without a trailing slash.
    public var apiBase: String
    /// Per attempt, from sending the request to the last byte of the answer.
    public var timeoutSeconds: Int64
    /// Attempts for a request that failed in transit or got 429/5xx; each retry reuses the
    /// request's idempotency key, so Stripe applies it once.
    public var maxAttempts: Int

    public static let defaultAPIBase = "https://api.stripe.com"

    public init(secretKey: String, webhookSecret: String? = nil, apiBase: String = StripeConfiguration.defaultAPIBase,
                timeoutSeconds: Int64 = 10, maxAttempts: Int = 3) {
        self.secretKey = secretKey
        self.webhookSecret = webhookSecret
        var base = apiBase
        while base.hasSuffix("/") { base.removeLast() }
        self.apiBase = base
        self.timeoutSeconds = timeoutSeconds
        self.maxAttempts = max(1, maxAttempts)
    }

    /// The configuration the environment gives, or `nil` without `STRIPE_SECRET_KEY`
    /// (purchases are then off and answer 503).
    public static func fromEnvironment(_ environment: [String: String]) -> StripeConfiguration? {
        guard let key = environment["STRIPE_SECRET_KEY"], !key.isEmpty else { return nil }
        let secret = environment["STRIPE_WEBHOOK_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
        let base = environment["STRIPE_API_BASE"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultAPIBase
        return StripeConfiguration(secretKey: key, webhookSecret: secret, apiBase: base)
    }
}
