import HTTPTypes
import Hummingbird
import TributeCore
import TributePayments
import TributeStore

/// Starting a credit purchase, for the API's `POST /v1/workspaces/{id}/credit-purchases` and
/// the dashboard's buy form alike: the purchase is recorded before Stripe hears of it and
/// named in the PaymentIntent's metadata, so that the payment's webhook finds it even if the
/// request dies before it records the PaymentIntent's id.
struct CreditPurchases<Store: TributeStore>: Sendable {
    let store: Store
    /// `nil` when payments are off (no `STRIPE_SECRET_KEY`).
    let stripe: StripeClient?
    /// The secret of Stripe's webhook signatures; `nil` when payments are off.
    let webhookSecret: String?

    init(store: Store, stripe: StripeConfiguration?) {
        self.store = store
        self.stripe = stripe.map { StripeClient(configuration: $0) }
        self.webhookSecret = stripe?.webhookSecret
    }

    var isEnabled: Bool { stripe != nil }

    /// Records a pending purchase, then creates its PaymentIntent at Stripe with the purchase
    /// named in the metadata and records its id. A refusal marks the purchase failed.
    /// - Throws: 503 when payments are off; the store's errors; `stripeFailure`'s mapping.
    func start(workspaceId: String, packageId: String, paymentMethod: String?) async throws -> (Purchase, PaymentIntent) {
        guard let stripe else { throw APIError.paymentsOff }
        let purchase = try await store.createPurchase(workspaceId: workspaceId, packageId: packageId)
        let intent: PaymentIntent
        do {
            intent = try await stripe.createPaymentIntent(
                amountCents: purchase.amountCents, currency: purchase.currency,
                metadata: [StripeEvent.purchaseMetadataKey: purchase.id, "workspace_id": workspaceId, "package_id": packageId],
                paymentMethod: paymentMethod, idempotencyKey: "tribute-purchase-\(purchase.id)")
        } catch {
            _ = try? await store.failPurchase(purchaseId: purchase.id, reason: error.description)
            throw APIError.stripeFailure(error)
        }
        return (try await store.attachPaymentIntent(purchaseId: purchase.id, paymentIntentId: intent.id), intent)
    }
}

extension APIError {
    /// `503 payments_not_configured`: the server runs without Stripe.
    static var paymentsOff: APIError {
        var error = APIError(status: .serviceUnavailable, code: "payments_not_configured",
                             message: "Payments are off: set STRIPE_SECRET_KEY (and STRIPE_WEBHOOK_SECRET for Stripe's events)")
        error.headers[.retryAfter] = "3600"
        return error
    }

    /// Stripe's refusals of the request are the caller's (402 for a card, 422 otherwise);
    /// Stripe being down or confused is a 502.
    static func stripeFailure(_ error: StripeError) -> APIError {
        switch error {
        case .api(let status, let type, let code, let message) where status < 500 && status != 429:
            if type == "card_error" || code == "card_declined" { return APIError(status: HTTPResponse.Status(code: 402, reasonPhrase: "Payment Required"), code: code ?? "card_declined", message: message) }
            return APIError(status: .unprocessableContent, code: "stripe_rejected", message: "Stripe refused the payment: \(message)")
        default:
            return APIError(status: .badGateway, code: "stripe_unavailable", message: error.description)
        }
    }
}
