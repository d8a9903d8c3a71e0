/// What one attempt of the webhook worker came to: the `result` label of
/// `tribute_webhook_deliveries_total`.
public enum WebhookDeliveryResult: String, CaseIterable, Sendable {
    /// The endpoint answered `2xx`.
    case delivered
    /// Anything else (an error status, a redirect, a timeout, a refused address); the
    /// delivery is tried again later.
    case failedAttempt = "failed_attempt"
    /// A failed attempt that was the last one `RetryPolicy` allows: the event is not sent.
    case gaveUp = "gave_up"
}
