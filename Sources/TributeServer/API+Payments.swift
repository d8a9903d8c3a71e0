import HTTPTypes
import Hummingbird
import TributeCore
import TributePayments

extension API {
    func registerPayments(_ routes: inout RouteTable) {
        routes.on("/v1/credit-packages", .get) { request, _ in
            _ = try await auth.require(request, .anyRole)
            return API.json(API.list(try await store.creditPackages()))
        }
        routes.on("/v1/credit-packages/{packageId}", .put) { request, context in try await putCreditPackage(request, context) }
        routes.on("/v1/workspaces/{id}/credit-purchases", .post) { request, context in try await createPurchase(request, context) }
        routes.on("/v1/workspaces/{id}/credit-purchases", .get) { request, context in
            let id = try API.workspaceId(context)
            _ = try await auth.require(request, .anyRole, workspace: id)
            let paging = try API.paging(request)
            let page = try await store.purchases(workspaceId: id, limit: paging.limit, cursor: paging.cursor)
            return API.json(.object(["items": API.list(page.items), "nextCursor": .optional(page.nextCursor)]))
        }
        routes.on("/v1/workspaces/{id}/credit-purchases/{purchaseId}", .get) { request, context in
            let id = try API.workspaceId(context)
            _ = try await auth.require(request, .anyRole, workspace: id)
            let purchaseId = try API.parameter(context, "purchaseId")
            guard Fields.isIdentifier(purchaseId) else { throw APIError(.purchaseNotFound(purchaseId)) }
            return API.json(try await store.purchase(workspaceId: id, id: purchaseId).json)
        }
        routes.on("/v1/stripe/webhook", .post) { request, context in try await stripeWebhook(request, context) }
    }

    func putCreditPackage(_ request: Request, _ context: TributeContext) async throws -> Response {
        _ = try await auth.require(request, .admin)
        let packageId = try API.parameter(context, "packageId")
        guard Fields.isIdentifier(packageId) else { throw APIError.invalid("packageId may hold only letters, digits and - _ . :") }
        var fields = try await API.fields(request)
        let currency = try fields.string("currency", maxLength: 3) ?? "usd"
        guard currency.count == 3, currency.utf8.allSatisfy({ $0 >= 97 && $0 <= 122 }) else {
            throw APIError.invalid("currency must be an ISO 4217 code in lower case, such as usd")
        }
        let package = CreditPackage(
            id: packageId, name: try fields.requiredString("name"),
            credits: try fields.requiredAmount("credits", in: Amount(micros: 1)...Amount(units: 1_000_000_000)),
            priceCents: try fields.integer("priceCents", in: CreditPackage.priceCentsRange) ?? { throw APIError.malformed("priceCents is required") }(),
            currency: currency, active: try fields.bool("active") ?? true)
        try fields.rejectUnknown()
        return API.json(try await store.putCreditPackage(package).json)
    }

    /// The purchase is recorded before Stripe hears of it and named in the PaymentIntent's
    /// metadata, so that the payment's webhook finds it even if this request dies before it
    /// records the PaymentIntent's id.
    func createPurchase(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try API.workspaceId(context)
        _ = try await auth.require(request, .adminOrService, workspace: id)
        var fields = try await API.fields(request)
        let packageId = try fields.identifier("packageId") ?? { throw APIError.malformed("packageId is required") }()
        let paymentMethod = try fields.identifier("paymentMethodId")
        try fields.rejectUnknown()
        let (recorded, intent) = try await startPurchase(workspaceId: id, packageId: packageId, paymentMethod: paymentMethod)
        guard case .object(var body) = recorded.json else { throw APIError.malformed("unreachable") }
        body["clientSecret"] = .optional(intent.clientSecret)
        return API.json(.object(body), status: .created)
    }

    /// Records a pending purchase, then creates its PaymentIntent at Stripe with the purchase
    /// named in the metadata and records its id. A refusal marks the purchase failed.
    /// - Throws: 503 when payments are off; the store's errors; `stripeFailure`'s mapping.
    func startPurchase(workspaceId: String, packageId: String, paymentMethod: String?) async throws -> (Purchase, PaymentIntent) {
        guard let stripe else { throw API.paymentsOff }
        let purchase = try await store.createPurchase(workspaceId: workspaceId, packageId: packageId)
        let intent: PaymentIntent
        do {
            intent = try await stripe.createPaymentIntent(
                amountCents: purchase.amountCents, currency: purchase.currency,
                metadata: [StripeEvent.purchaseMetadataKey: purchase.id, "workspace_id": workspaceId, "package_id": packageId],
                paymentMethod: paymentMethod, idempotencyKey: "tribute-purchase-\(purchase.id)")
        } catch {
            _ = try? await store.failPurchase(purchaseId: purchase.id, reason: error.description)
            throw API.stripeFailure(error)
        }
        return (try await store.attachPaymentIntent(purchaseId: purchase.id, paymentIntentId: intent.id), intent)
    }

    /// Stripe's events: verified by `Stripe-Signature` before anything is read, then applied
    /// by the store, which makes every repeat a no-op. Stripe retries anything but a 2xx.
    func stripeWebhook(_ request: Request, _ context: TributeContext) async throws -> Response {
        guard let secret = stripeWebhookSecret else { throw API.paymentsOff }
        let payload = try await API.bytes(request, maxBytes: API.maxWebhookBytes)
        guard let header = request.headers[.stripeSignature] else {
            throw APIError(status: .badRequest, code: "invalid_signature", message: "The Stripe-Signature header is missing")
        }
        do {
            try WebhookSignature.verify(payload: payload, header: header, secret: secret, nowSeconds: store.nowMillis() / 1000)
        } catch let failure as WebhookSignature.Failure {
            throw APIError(status: .badRequest, code: "invalid_signature", message: "Stripe-Signature: \(failure.description)")
        }
        let event: StripeEvent
        do {
            event = try StripeEvent.parse(payload)
        } catch {
            throw APIError.malformed(error.message)
        }
        guard let payment = event.payment else {
            return API.json(.object(["received": .bool(true), "outcome": .string("ignored")]))
        }
        let outcome = try await store.applyPayment(payment)
        let (name, detail): (String, String) = switch outcome {
        case .credited(let purchase): ("credited", "purchase \(purchase.id) credited \(purchase.credits) credits")
        case .refunded(let purchase, let taken): ("refunded", "purchase \(purchase.id) took back \(taken) credits")
        case .failed(let purchase): ("failed", "purchase \(purchase.id) failed")
        case .unchanged(let why): ("unchanged", why)
        }
        context.logger.info("stripe event", metadata: ["event": "\(event.id)", "type": "\(event.type)", "outcome": "\(name)", "detail": "\(detail)"])
        return API.json(.object(["received": .bool(true), "outcome": .string(name), "detail": .string(detail)]))
    }

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

extension HTTPField.Name {
    static let stripeSignature = HTTPField.Name("Stripe-Signature")!
}
