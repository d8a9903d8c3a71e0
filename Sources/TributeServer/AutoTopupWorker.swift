import Logging
import ServiceLifecycle
import TributeCore
import TributePayments
import TributeStore

/// Carries auto top-up attempts to Stripe (SPEC §3.8), in every `tribute serve` that has a
/// Stripe key: claims the attempts that are due (`claimAutoTopups`: sized, leased for
/// `leaseMillis` so that no other instance sends them meanwhile), and charges each saved
/// card without the customer, with the attempt's id as the idempotency key.
///
/// A crash between the claim and Stripe's answer leaves the attempt to be claimed again
/// when the lease is over; the next send first looks for a PaymentIntent already made for
/// it (by its metadata, among the Customer's), so no attempt is charged twice even where
/// Stripe no longer remembers the key. Credits go in only once the PaymentIntent has
/// succeeded, through the same step as Stripe's `payment_intent.succeeded` webhook
/// (`applyPayment`), which credits a purchase once however often it is told.
public struct AutoTopupWorker: Service {
    let store: any TributeStore
    let stripe: StripeClient
    let pollMillis: Int64
    let leaseMillis: Int64
    let logger: Logger

    /// Attempts one round claims at most.
    static let attemptsPerRound = 20
    public static let defaultPollMillis: Int64 = 1_000
    public static let defaultLeaseMillis: Int64 = 60_000

    public init(store: any TributeStore, stripe: StripeConfiguration, pollMillis: Int64 = defaultPollMillis, leaseMillis: Int64 = defaultLeaseMillis, logger: Logger) {
        self.store = store
        self.stripe = StripeClient(configuration: stripe)
        self.pollMillis = max(10, pollMillis)
        self.leaseMillis = max(1_000, leaseMillis)
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var failures = 0
            while !Task.isCancelled {
                do {
                    for charge in try await store.claimAutoTopups(limit: Self.attemptsPerRound, leaseMillis: leaseMillis) where !Task.isCancelled {
                        await send(charge)
                    }
                    failures = 0
                } catch {
                    failures += 1
                    if failures == 1 || failures % 60 == 0 {
                        logger.warning("auto top-up claim failed", metadata: ["error": "\(type(of: error))", "failures": "\(failures)"])
                    }
                }
                try? await Task.sleep(for: .milliseconds(pollMillis))
            }
        }
    }

    /// What became of one send.
    enum Result: Equatable {
        /// Stripe made the PaymentIntent; its status says what comes next.
        case intent(PaymentIntent)
        /// The card cannot be charged without the customer: suspend, no retry.
        case refused(reason: String)
        /// Stripe could not be reached or failed: the same attempt again later.
        case unavailable(String)
    }

    /// Charges one attempt and records what Stripe answered.
    func send(_ charge: AutoTopupCharge) async {
        let result = await charged(charge)
        do {
            switch result {
            case .intent(let intent):
                try await store.recordAutoTopupIntent(attemptId: charge.attemptId, paymentIntentId: intent.id)
                try await settle(charge, intent)
            case .refused(let reason):
                logger.info("auto top-up refused", metadata: ["attempt": "\(charge.attemptId)", "reason": "\(reason)"])
                try await store.failAutoTopup(attemptId: charge.attemptId, reason: reason, clientSecret: nil)
            case .unavailable(let why):
                let delay = AutoTopup.retryDelayMillis(tries: charge.tries)
                logger.warning("auto top-up will retry", metadata: ["attempt": "\(charge.attemptId)", "in_ms": "\(delay)", "error": "\(why)"])
                try await store.retryAutoTopup(attemptId: charge.attemptId, reason: why, delayMillis: delay)
            }
        } catch {
            // The lease runs out and the next round finds the attempt again.
            logger.warning("auto top-up not recorded", metadata: ["attempt": "\(charge.attemptId)", "error": "\(type(of: error))"])
        }
    }

    /// The PaymentIntent of the attempt: the one recorded, one made before a crash, or a new
    /// one created and confirmed off-session.
    func charged(_ charge: AutoTopupCharge) async -> Result {
        do {
            // Reading what Stripe holds refuses no card: any failure of it is tried again.
            if let id = charge.paymentIntentId { return .intent(try await stripe.paymentIntent(id: id)) }
            if charge.tries > 0, let made = try await stripe.paymentIntents(customerId: charge.customerId)
                .first(where: { $0.metadata[StripeEvent.purchaseMetadataKey] == charge.attemptId }) {
                return .intent(made)
            }
        } catch {
            return .unavailable(error.description)
        }
        do {
            return .intent(try await stripe.chargeOffSession(
                amountCents: charge.cents, currency: charge.currency, customerId: charge.customerId, paymentMethodId: charge.paymentMethodId,
                metadata: [StripeEvent.purchaseMetadataKey: charge.attemptId, "workspace_id": charge.workspaceId, "auto_topup": "true"],
                idempotencyKey: "tribute-auto-topup-\(charge.attemptId)"))
        } catch {
            return Self.classify(error)
        }
    }

    /// Stripe's refusals of the card end the attempt; anything that may pass (no answer,
    /// 429, 5xx, an answer not understood) is tried again under the same key.
    static func classify(_ error: StripeError) -> Result {
        switch error {
        case .api(let status, let type, let code, let message) where status < 500 && status != 429:
            if code == "authentication_required" { return .refused(reason: "action_required") }
            if status == 402 || type == "card_error" { return .refused(reason: code ?? "card_declined") }
            return .refused(reason: "stripe_rejected: \(message.prefix(200))")
        default:
            return .unavailable(error.description)
        }
    }

    /// Acts on the PaymentIntent's status: credits once it succeeded, suspends when the
    /// customer must act or the card failed; while it is processing, Stripe's webhook (or
    /// the next claim, after the lease) finishes it.
    func settle(_ charge: AutoTopupCharge, _ intent: PaymentIntent) async throws {
        switch intent.status {
        case "succeeded":
            let outcome = try await store.applyPayment(.succeeded(paymentIntentId: intent.id, purchaseId: charge.attemptId,
                                                                  amountReceivedCents: intent.amountCents, currency: intent.currency.lowercased()))
            logger.info("auto top-up paid", metadata: ["attempt": "\(charge.attemptId)", "payment_intent": "\(intent.id)", "outcome": "\(outcome)"])
        case "requires_action":
            try await store.failAutoTopup(attemptId: charge.attemptId, reason: "action_required", clientSecret: intent.clientSecret)
        case "requires_payment_method", "canceled":
            try await store.failAutoTopup(attemptId: charge.attemptId, reason: "card_declined", clientSecret: nil)
        default:
            break
        }
    }
}
