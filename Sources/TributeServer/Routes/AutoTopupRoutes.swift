import HTTPTypes
import Hummingbird
import TributeCore
import TributePayments
import TributeStore

/// Auto top-up (SPEC §3.8): its settings, its attempts, and saving the card it charges.
struct AutoTopupRoutes<Store: TributeStore>: Sendable {
    let store: Store
    let auth: Auth<Store>
    let purchases: CreditPurchases<Store>

    var endpoints: RouteCollection<TributeContext> {
        let routes = RouteCollection(context: TributeContext.self)
        routes.group().add(middleware: auth.requireKey(.admin, workspaceFrom: "id"))
            .put("/v1/workspaces/{id}/auto-topup", use: put)
        routes.group().add(middleware: auth.requireKey(.anyRole, workspaceFrom: "id"))
            .get("/v1/workspaces/{id}/auto-topup", use: get)
            .get("/v1/workspaces/{id}/auto-topup/attempts", use: attempts)
        // Admin only, as the settings: a new card resumes a suspension, which an agent's
        // key must not do for itself.
        routes.group().add(middleware: auth.requireKey(.admin, workspaceFrom: "id"))
            .post("/v1/workspaces/{id}/payment-method/setup", use: setup)
        return routes
    }

    /// Attempts one page shows at most.
    static var maxAttempts: Int { 100 }

    @Sendable func get(_ request: Request, _ context: TributeContext) async throws -> Response {
        API.json(try await store.autoTopup(workspaceId: try context.requireWorkspaceId()).json)
    }

    @Sendable func put(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try context.requireWorkspaceId()
        var fields = try await API.fields(request)
        let settings = try AutoTopupInput.settings(&fields)
        try fields.rejectUnknown()
        return API.json(try await store.putAutoTopup(workspaceId: id, settings: settings).json)
    }

    @Sendable func attempts(_ request: Request, _ context: TributeContext) async throws -> Response {
        let paging = try API.paging(request)
        let list = try await store.autoTopupAttempts(workspaceId: try context.requireWorkspaceId(), limit: min(paging.limit, Self.maxAttempts))
        return API.json(.object(["items": API.list(list)]))
    }

    /// A Stripe Customer for the workspace (once) and a SetupIntent for a card to charge
    /// without the customer: the platform confirms it with Stripe.js and the returned
    /// `clientSecret`; Stripe's `setup_intent.succeeded` then saves the card.
    @Sendable func setup(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try context.requireWorkspaceId()
        guard let stripe = purchases.stripe else { throw APIError.paymentsOff }
        var customerId = try await store.autoTopup(workspaceId: id).customerId
        if customerId == nil {
            do {
                let made = try await stripe.createCustomer(workspaceId: id, idempotencyKey: "tribute-customer-\(id)")
                customerId = try await store.setStripeCustomer(workspaceId: id, customerId: made)
            } catch let error as StripeError {
                throw APIError.stripeFailure(error)
            }
        }
        guard let customerId else { throw APIError.paymentsOff }
        let intent: SetupIntent
        do {
            intent = try await stripe.createSetupIntent(customerId: customerId, workspaceId: id, idempotencyKey: "tribute-setup-" + Identifier.randomBase62(count: 20))
        } catch {
            throw APIError.stripeFailure(error)
        }
        return API.json(.object([
            "setupIntentId": .string(intent.id), "clientSecret": .optional(intent.clientSecret), "customerId": .string(customerId),
        ]), status: .created)
    }
}

/// The body of `PUT /v1/workspaces/{id}/auto-topup`.
enum AutoTopupInput {
    /// Charges a day at most that may be asked for.
    static let maxChargesPerDay: ClosedRange<Int64> = 1...100
    /// Cents a month at most that may be allowed: $10M.
    static let maxCentsPerMonth: ClosedRange<Int64> = 0...1_000_000_000

    enum Mode: String, CaseIterable {
        case threshold, target
    }

    /// The API's JSON body: `enabled` (default true) and the rest as `settings(_:enabled:)`.
    static func settings(_ fields: inout Fields) throws -> AutoTopupSettings {
        let enabled = try fields.bool("enabled") ?? true
        return try settings(&fields, enabled: enabled)
    }

    /// The settings from the API's body or the dashboard's form alike.
    static func settings(_ fields: inout some FieldSource, enabled: Bool) throws -> AutoTopupSettings {
        let packageId = try fields.identifier("packageId") ?? { throw APIError.malformed("packageId is required") }()
        let threshold = try fields.amount("threshold", in: Amount.zero...Amount(units: 1_000_000_000))
            ?? { throw APIError.malformed("threshold is required") }()
        let mode = try fields.choice("mode", Mode.self) ?? .threshold
        let target = try fields.amount("target", in: Amount.zero...Amount(units: 1_000_000_000))
        let perDay = try fields.integer("maxChargesPerDay", in: maxChargesPerDay) ?? 5
        let perMonth = try fields.integer("maxCentsPerMonth", in: maxCentsPerMonth)
            ?? { throw APIError.malformed("maxCentsPerMonth is required: auto top-up never runs without a monthly cap") }()
        let chosen: AutoTopup.Mode
        switch (mode, target) {
        case (.threshold, nil): chosen = .threshold
        case (.threshold, .some): throw APIError.invalid("target is for mode \"target\" only")
        case (.target, nil): throw APIError.invalid("mode \"target\" needs a target")
        case (.target, let target?):
            guard target > threshold else { throw APIError.invalid("target must be above the threshold") }
            chosen = .target(target)
        }
        return AutoTopupSettings(enabled: enabled, packageId: packageId, threshold: threshold, mode: chosen,
                                 limits: AutoTopup.Limits(maxChargesPerDay: Int(perDay), maxCentsPerMonth: perMonth))
    }
}
