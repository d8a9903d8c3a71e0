import TributeCore

/// A SetupIntent, as much of it as Tribute uses.
public struct SetupIntent: Sendable, Equatable {
    public var id: String
    public var clientSecret: String?
    public var status: String
    public var customerId: String?
    public var paymentMethodId: String?
}

/// Saved cards and charges without the customer (auto top-up, SPEC §3.8).
extension StripeClient {
    /// The metadata key naming the workspace on a Customer and a SetupIntent.
    public static let workspaceMetadataKey = "tribute_workspace_id"

    /// Creates the workspace's Customer; the key makes a retry return the same one.
    public func createCustomer(workspaceId: String, idempotencyKey: String) async throws(StripeError) -> String {
        let json = try await send(.POST, "/v1/customers", fields: [("metadata[\(Self.workspaceMetadataKey)]", workspaceId)], idempotencyKey: idempotencyKey)
        guard let id = json.objectValue?["id"]?.stringValue else { throw .malformedAnswer("a Customer without id") }
        return id
    }

    /// A SetupIntent that saves a card for charges without the customer (`usage=off_session`).
    public func createSetupIntent(customerId: String, workspaceId: String, idempotencyKey: String) async throws(StripeError) -> SetupIntent {
        try Self.setupIntent(try await send(.POST, "/v1/setup_intents", fields: [
            ("customer", customerId), ("usage", "off_session"), ("metadata[\(Self.workspaceMetadataKey)]", workspaceId),
        ], idempotencyKey: idempotencyKey))
    }

    /// A card's brand, last 4 and fingerprint, and the Customer it is attached to.
    public func card(paymentMethodId: String) async throws(StripeError) -> (card: SavedCard, customerId: String?) {
        let json = try await send(.GET, "/v1/payment_methods/" + FormEncoding.escape(paymentMethodId), fields: [], idempotencyKey: nil)
        guard let object = json.objectValue, let id = object["id"]?.stringValue, let card = object["card"]?.objectValue,
              let last4 = card["last4"]?.stringValue, let fingerprint = card["fingerprint"]?.stringValue else {
            throw .malformedAnswer("a PaymentMethod without id, card.last4 or card.fingerprint")
        }
        return (SavedCard(paymentMethodId: id, brand: card["brand"]?.stringValue ?? "card", last4: last4, fingerprint: fingerprint),
                object["customer"]?.stringValue)
    }

    /// Charges a saved card without the customer: created and confirmed at once
    /// (`off_session=true, confirm=true`), under the caller's idempotency key.
    public func chargeOffSession(amountCents: Int64, currency: String, customerId: String, paymentMethodId: String, metadata: [String: String],
                                 idempotencyKey: String) async throws(StripeError) -> PaymentIntent {
        var fields: [(name: String, value: String)] = [
            ("amount", String(amountCents)), ("currency", currency), ("customer", customerId), ("payment_method", paymentMethodId),
            ("off_session", "true"), ("confirm", "true"),
        ]
        for (name, value) in metadata.sorted(by: { $0.key < $1.key }) { fields.append(("metadata[\(name)]", value)) }
        return try Self.paymentIntent(try await send(.POST, "/v1/payment_intents", fields: fields, idempotencyKey: idempotencyKey))
    }

    /// The Customer's newest PaymentIntents (up to 100): where a charge sent before a crash
    /// is found again by its metadata, whether or not Stripe still remembers its key.
    ///
    /// A Stripe-compatible server that cannot filter by customer (localstripe refuses the
    /// parameter with 400) is asked for its newest 100 instead, filtered here.
    public func paymentIntents(customerId: String) async throws(StripeError) -> [PaymentIntent] {
        let json: JSON
        do {
            json = try await send(.GET, "/v1/payment_intents?limit=100&customer=" + FormEncoding.escape(customerId), fields: [], idempotencyKey: nil)
        } catch .api(400, _, _, _) {
            json = try await send(.GET, "/v1/payment_intents?limit=100", fields: [], idempotencyKey: nil)
        }
        guard case .array(let items)? = json.objectValue?["data"] else { throw .malformedAnswer("a list without data") }
        var intents: [PaymentIntent] = []
        for item in items where item.objectValue?["customer"]?.stringValue == customerId { intents.append(try Self.paymentIntent(item)) }
        return intents
    }

    static func setupIntent(_ json: JSON) throws(StripeError) -> SetupIntent {
        guard let object = json.objectValue, let id = object["id"]?.stringValue, let status = object["status"]?.stringValue else {
            throw .malformedAnswer("a SetupIntent without id or status")
        }
        return SetupIntent(id: id, clientSecret: object["client_secret"]?.stringValue, status: status, customerId: object["customer"]?.stringValue,
                           paymentMethodId: object["payment_method"]?.stringValue)
    }
}
