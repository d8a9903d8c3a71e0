import TributeCore

/// A Stripe event as `POST /v1/stripe/webhook` receives it, reduced to what Tribute acts on.
public struct StripeEvent: Sendable, Equatable {
    public var id: String
    public var type: String
    /// `nil` for the event types Tribute acknowledges and ignores.
    public var payment: PaymentEvent?
    /// `setup_intent.succeeded`: a card saved for auto top-up (SPEC §3.8).
    public var setup: SavedSetup?

    /// A SetupIntent that saved a card: the card's details are read from Stripe by its id.
    public struct SavedSetup: Sendable, Equatable {
        public var setupIntentId: String
        public var paymentMethodId: String
        public var customerId: String?
        /// From the SetupIntent's metadata (`StripeClient.workspaceMetadataKey`).
        public var workspaceId: String?
    }

    /// The metadata key naming Tribute's purchase on a PaymentIntent.
    public static let purchaseMetadataKey = "tribute_purchase_id"

    public init(id: String, type: String, payment: PaymentEvent?, setup: SavedSetup? = nil) {
        self.id = id
        self.type = type
        self.payment = payment
        self.setup = setup
    }

    /// Why a verified payload still cannot be acted on.
    public struct Malformed: Error, Equatable, Sendable {
        public let message: String
    }

    /// Reads an event payload (`{"id","type","data":{"object":{…}}}`).
    /// - Throws: `Malformed` when the payload is not an event, or an event of a type Tribute
    ///   acts on lacks the fields it needs.
    public static func parse(_ payload: [UInt8]) throws(Malformed) -> StripeEvent {
        guard let root = try? JSON.parse(payload), let event = root.objectValue,
              let id = event["id"]?.stringValue, let type = event["type"]?.stringValue else {
            throw Malformed(message: "The payload is not a Stripe event")
        }
        let object = event["data"]?.objectValue?["object"]?.objectValue
        switch type {
        case "payment_intent.succeeded":
            // Stripe sends `amount_received`; a PaymentIntent without it (some test servers)
            // has received its `amount` when it succeeds.
            guard let intentId = object?["id"]?.stringValue, let currency = object?["currency"]?.stringValue,
                  let amount = cents(object?["amount_received"]) ?? cents(object?["amount"]) else {
                throw Malformed(message: "\(type) event without data.object id, amount_received and currency")
            }
            return StripeEvent(id: id, type: type, payment: .succeeded(
                paymentIntentId: intentId, purchaseId: purchaseId(object), amountReceivedCents: amount, currency: currency.lowercased()))
        case "payment_intent.payment_failed", "payment_intent.canceled":
            guard let intentId = object?["id"]?.stringValue else { throw Malformed(message: "\(type) event without data.object.id") }
            let reason = object?["last_payment_error"]?.objectValue?["message"]?.stringValue
                ?? object?["cancellation_reason"]?.stringValue ?? (type == "payment_intent.canceled" ? "canceled" : "payment failed")
            return StripeEvent(id: id, type: type, payment: .failed(paymentIntentId: intentId, purchaseId: purchaseId(object), reason: reason))
        case "setup_intent.succeeded":
            guard let setupId = object?["id"]?.stringValue, let method = object?["payment_method"]?.stringValue else {
                throw Malformed(message: "\(type) event without data.object id and payment_method")
            }
            return StripeEvent(id: id, type: type, payment: nil, setup: SavedSetup(
                setupIntentId: setupId, paymentMethodId: method, customerId: object?["customer"]?.stringValue,
                workspaceId: object?["metadata"]?.objectValue?[StripeClient.workspaceMetadataKey]?.stringValue))
        case "charge.refunded":
            guard let intentId = object?["payment_intent"]?.stringValue, let refunded = cents(object?["amount_refunded"]) else {
                throw Malformed(message: "\(type) event without data.object payment_intent and amount_refunded")
            }
            return StripeEvent(id: id, type: type, payment: .refunded(paymentIntentId: intentId, refundedTotalCents: refunded))
        default:
            return StripeEvent(id: id, type: type, payment: nil, setup: nil)
        }
    }

    private static func purchaseId(_ object: [String: JSON]?) -> String? {
        object?["metadata"]?.objectValue?[purchaseMetadataKey]?.stringValue
    }

    /// A non-negative whole number of cents, or `nil`.
    private static func cents(_ value: JSON?) -> Int64? {
        guard case .number(let text)? = value, let cents = Int64(text), cents >= 0 else { return nil }
        return cents
    }
}
