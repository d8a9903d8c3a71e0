import HTTPTypes
import Hummingbird
import TributeCore
import TributePayments
import TributeStore

/// Credit packages, credit purchases, and Stripe's events about their payments.
struct PaymentRoutes<Store: TributeStore>: Sendable {
    let store: Store
    let auth: Auth<Store>
    let purchases: CreditPurchases<Store>

    /// Stripe's events carry whole objects; they are larger than the API's own bodies.
    static var maxWebhookBytes: Int { 1024 * 1024 }

    var endpoints: RouteCollection<TributeContext> {
        let routes = RouteCollection(context: TributeContext.self)
        routes.group().add(middleware: auth.requireKey(.anyRole))
            .get("/v1/credit-packages", use: packages)
        routes.group().add(middleware: auth.requireKey(.admin))
            .put("/v1/credit-packages/{packageId}", use: putPackage)
        routes.group().add(middleware: auth.requireKey(.adminOrService, workspaceFrom: "id"))
            .post("/v1/workspaces/{id}/credit-purchases", use: createPurchase)
        routes.group().add(middleware: auth.requireKey(.anyRole, workspaceFrom: "id"))
            .get("/v1/workspaces/{id}/credit-purchases", use: listPurchases)
            .get("/v1/workspaces/{id}/credit-purchases/{purchaseId}", use: purchase)
        // No key: Stripe signs its events instead (`Stripe-Signature`).
        routes.post("/v1/stripe/webhook", use: stripeWebhook)
        return routes
    }

    @Sendable func packages(_ request: Request, _ context: TributeContext) async throws -> Response {
        API.json(API.list(try await store.creditPackages()))
    }

    @Sendable func putPackage(_ request: Request, _ context: TributeContext) async throws -> Response {
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
            priceCents: try fields.requiredInteger("priceCents", in: CreditPackage.priceCentsRange),
            currency: currency, active: try fields.bool("active") ?? true)
        try fields.rejectUnknown()
        return API.json(try await store.putCreditPackage(package).json)
    }

    /// A pending purchase and the `clientSecret` of its PaymentIntent (`CreditPurchases`).
    @Sendable func createPurchase(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try context.requireWorkspaceId()
        var fields = try await API.fields(request)
        let packageId = try fields.identifier("packageId") ?? { throw APIError.malformed("packageId is required") }()
        let paymentMethod = try fields.identifier("paymentMethodId")
        try fields.rejectUnknown()
        let (recorded, intent) = try await purchases.start(workspaceId: id, packageId: packageId, paymentMethod: paymentMethod)
        guard case .object(var body) = recorded.json else { throw APIError.malformed("unreachable") }
        body["clientSecret"] = .optional(intent.clientSecret)
        return API.json(.object(body), status: .created)
    }

    @Sendable func listPurchases(_ request: Request, _ context: TributeContext) async throws -> Response {
        let paging = try API.paging(request)
        return API.page(try await store.purchases(workspaceId: try context.requireWorkspaceId(), limit: paging.limit, cursor: paging.cursor))
    }

    @Sendable func purchase(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try context.requireWorkspaceId()
        let purchaseId = try API.parameter(context, "purchaseId")
        guard Fields.isIdentifier(purchaseId) else { throw APIError(.purchaseNotFound(purchaseId)) }
        return API.json(try await store.purchase(workspaceId: id, id: purchaseId).json)
    }

    /// Stripe's events: verified by `Stripe-Signature` before anything is read, then applied
    /// by the store, which makes every repeat a no-op. Stripe retries anything but a 2xx.
    @Sendable func stripeWebhook(_ request: Request, _ context: TributeContext) async throws -> Response {
        guard let secret = purchases.webhookSecret else { throw APIError.paymentsOff }
        let payload = try await API.bytes(request, maxBytes: Self.maxWebhookBytes)
        guard let header = request.headers[.stripeSignature] else {
            throw APIError(status: .badRequest, code: "invalid_signature", message: "The Stripe-Signature header is missing")
        }
        do {
            try WebhookSignature.verify(payload: payload, header: header, secret: secret, nowSeconds: store.nowMillis() / 1000)
        } catch {
            throw APIError(status: .badRequest, code: "invalid_signature", message: "Stripe-Signature: \(error.description)")
        }
        let event: StripeEvent
        do {
            event = try StripeEvent.parse(payload)
        } catch {
            throw APIError.malformed(error.message)
        }
        if let setup = event.setup { return try await saveCard(setup, event: event, context) }
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
}

extension PaymentRoutes {
    /// `setup_intent.succeeded`: the card's brand, last 4 and fingerprint are read from
    /// Stripe by its id (the event names only the id) and saved for the workspace the
    /// SetupIntent's metadata, or its Customer, names. Stripe could not be read: 502, and
    /// Stripe delivers the event again later.
    func saveCard(_ setup: StripeEvent.SavedSetup, event: StripeEvent, _ context: TributeContext) async throws -> Response {
        guard let stripe = purchases.stripe else { throw APIError.paymentsOff }
        func ignored(_ why: String) -> Response {
            context.logger.info("stripe event", metadata: ["event": "\(event.id)", "type": "\(event.type)", "outcome": "ignored", "detail": "\(why)"])
            return API.json(.object(["received": .bool(true), "outcome": .string("ignored"), "detail": .string(why)]))
        }
        let card: SavedCard, attachedTo: String?
        do {
            (card, attachedTo) = try await stripe.card(paymentMethodId: setup.paymentMethodId)
        } catch .api(let status, _, _, _) where status < 500 && status != 429 {
            return ignored("Stripe has no card \(setup.paymentMethodId) (HTTP \(status))")
        } catch .malformedAnswer {
            // Not a card (a bank account, Link): nothing auto top-up can charge.
            return ignored("payment method \(setup.paymentMethodId) is not a card with a fingerprint")
        } catch {
            // Stripe delivers the event again later.
            throw APIError(status: .badGateway, code: "stripe_unavailable", message: error.description)
        }
        let customer = setup.customerId ?? attachedTo
        var workspace = setup.workspaceId
        if workspace == nil, let customer { workspace = try await store.workspaceId(stripeCustomer: customer) }
        guard let workspace else { return ignored("no workspace for SetupIntent \(setup.setupIntentId)") }
        let view: AutoTopupView
        do {
            // The card must belong to the workspace's own Customer, where it has one. A
            // database that fails here fails the event (5xx): Stripe sends it again.
            let recorded = try await store.autoTopup(workspaceId: workspace).customerId
            if let recorded, let customer, recorded != customer { return ignored("SetupIntent \(setup.setupIntentId) is for another customer") }
            view = try await store.saveCard(workspaceId: workspace, card: card, customerId: customer)
        } catch TributeError.workspaceNotFound {
            return ignored("no workspace \(workspace)")
        }
        let detail = "saved \(card.brand) ending \(card.last4) for workspace \(workspace); auto top-up \(view.state?.rawValue ?? "off")"
        context.logger.info("stripe event", metadata: ["event": "\(event.id)", "type": "\(event.type)", "outcome": "card_saved", "detail": "\(detail)"])
        return API.json(.object(["received": .bool(true), "outcome": .string("card_saved"), "detail": .string(detail)]))
    }
}

extension HTTPField.Name {
    static let stripeSignature = HTTPField.Name("Stripe-Signature")!
}
