/// What the owner sets for auto top-up (`PUT /v1/workspaces/{id}/auto-topup`, SPEC §3.8).
public struct AutoTopupSettings: Sendable, Equatable {
    public var enabled: Bool
    /// The package every charge buys some number of.
    public var packageId: String
    /// At or below this many available credits, an attempt starts.
    public var threshold: Amount
    public var mode: AutoTopup.Mode
    public var limits: AutoTopup.Limits

    public init(enabled: Bool, packageId: String, threshold: Amount, mode: AutoTopup.Mode, limits: AutoTopup.Limits) {
        self.enabled = enabled
        self.packageId = packageId
        self.threshold = threshold
        self.mode = mode
        self.limits = limits
    }
}

/// A card saved for charges without the customer (Stripe `usage=off_session`): what Tribute
/// keeps of it, never the number.
public struct SavedCard: Sendable, Equatable {
    public var paymentMethodId: String
    public var brand: String
    public var last4: String
    /// Stripe's fingerprint of the card number: the same card saved again has the same one,
    /// which is how a card that failed is told from another.
    public var fingerprint: String

    public init(paymentMethodId: String, brand: String, last4: String, fingerprint: String) {
        self.paymentMethodId = paymentMethodId
        self.brand = brand
        self.last4 = last4
        self.fingerprint = fingerprint
    }
}

/// One auto top-up attempt: the outbox row a call starts, then its charge.
public struct AutoTopupAttempt: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        /// Not yet charged, or charged and waiting for Stripe's `payment_intent.succeeded`.
        case open
        /// The credits are in the wallet.
        case succeeded
        /// The card declined, asked for authentication, or the payment failed.
        case failed
        /// A limit left room for no package: nothing was charged.
        case limited
        /// Credits came in before it was charged: nothing was needed.
        case skipped
    }

    public var id: String
    public var workspaceId: String
    public var status: Status
    /// The available credits when the call started it.
    public var available: Amount
    /// What it charges, once sized (`nil` before).
    public var packages: Int64?
    public var cents: Int64?
    public var credits: Amount?
    public var currency: String?
    /// The limit that made it smaller than the gap, or that stopped it.
    public var cappedBy: AutoTopup.Limit?
    public var paymentIntentId: String?
    public var reason: String?
    public var createdAtMillis: Int64
    public var updatedAtMillis: Int64

    public init(id: String, workspaceId: String, status: Status, available: Amount, packages: Int64?, cents: Int64?, credits: Amount?,
                currency: String?, cappedBy: AutoTopup.Limit?, paymentIntentId: String?, reason: String?, createdAtMillis: Int64, updatedAtMillis: Int64) {
        self.id = id
        self.workspaceId = workspaceId
        self.status = status
        self.available = available
        self.packages = packages
        self.cents = cents
        self.credits = credits
        self.currency = currency
        self.cappedBy = cappedBy
        self.paymentIntentId = paymentIntentId
        self.reason = reason
        self.createdAtMillis = createdAtMillis
        self.updatedAtMillis = updatedAtMillis
    }

    /// The attempt as a JSON object: in `GET /v1/workspaces/{id}/auto-topup` and in the
    /// `auto_topup.*` events, which the stores write to the outbox (hence in TributeCore).
    public var json: JSON {
        .object([
            "id": .string(id), "status": .string(status.rawValue), "availableCredits": .amount(available),
            "packages": packages.map { .int($0) } ?? .null, "amountCents": cents.map { .int($0) } ?? .null,
            "credits": credits.map { .amount($0) } ?? .null, "currency": .optional(currency),
            "cappedBy": .optional(cappedBy?.rawValue), "paymentIntentId": .optional(paymentIntentId), "reason": .optional(reason),
            "createdAt": .timestamp(millis: createdAtMillis), "updatedAt": .timestamp(millis: updatedAtMillis),
        ])
    }
}

/// A workspace's auto top-up as `GET /v1/workspaces/{id}/auto-topup` shows it.
public struct AutoTopupView: Sendable, Equatable {
    public var workspaceId: String
    /// `nil` until the owner first puts settings.
    public var settings: AutoTopupSettings?
    /// `nil` while it is off.
    public var state: AutoTopup.State?
    public var reason: String?
    public var spentThisMonthCents: Int64
    public var chargesToday: Int
    public var lastAttempt: AutoTopupAttempt?
    public var paymentMethod: SavedCard?
    public var customerId: String?

    public init(workspaceId: String, settings: AutoTopupSettings?, state: AutoTopup.State?, reason: String?, spentThisMonthCents: Int64,
                chargesToday: Int, lastAttempt: AutoTopupAttempt?, paymentMethod: SavedCard?, customerId: String?) {
        self.workspaceId = workspaceId
        self.settings = settings
        self.state = state
        self.reason = reason
        self.spentThisMonthCents = spentThisMonthCents
        self.chargesToday = chargesToday
        self.lastAttempt = lastAttempt
        self.paymentMethod = paymentMethod
        self.customerId = customerId
    }
}

/// A charge the payment worker sends to Stripe for an attempt it claimed.
public struct AutoTopupCharge: Sendable, Equatable {
    public var attemptId: String
    public var workspaceId: String
    public var customerId: String
    public var paymentMethodId: String
    public var cents: Int64
    public var currency: String
    /// Earlier sends of this attempt: after one, Stripe may hold a PaymentIntent for it
    /// already (a crash before its answer was stored), which the worker looks up first.
    public var tries: Int
    public var paymentIntentId: String?
    /// `false` once auto top-up was turned off (or the workspace suspended) after the charge
    /// was sized: a PaymentIntent already made is still followed, none is created.
    public var mayCreate: Bool

    public init(attemptId: String, workspaceId: String, customerId: String, paymentMethodId: String, cents: Int64, currency: String, tries: Int,
                paymentIntentId: String?, mayCreate: Bool = true) {
        self.mayCreate = mayCreate
        self.attemptId = attemptId
        self.workspaceId = workspaceId
        self.customerId = customerId
        self.paymentMethodId = paymentMethodId
        self.cents = cents
        self.currency = currency
        self.tries = tries
        self.paymentIntentId = paymentIntentId
    }
}
