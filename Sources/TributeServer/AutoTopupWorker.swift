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

    /// Attempts one round sends at most, claimed one at a time so that each is sent within
    /// its own lease.
    static let attemptsPerRound = 20
    /// Sends of an attempt Stripe refuses for a reason not the card's (a bad request, a key
    /// it does not know) before the attempt fails (`stripe_rejected`).
    static let maxRejections = 5
    public static let defaultPollMillis: Int64 = 1_000
    /// Longer than one send can take (a lookup and a create, each up to three tries of 10 s
    /// with backoff), so that no other instance takes an attempt whose send is in flight.
    public static let defaultLeaseMillis: Int64 = 120_000

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
                    for _ in 0..<Self.attemptsPerRound where !Task.isCancelled {
                        let claimed = try await store.claimAutoTopups(limit: 1, leaseMillis: leaseMillis)
                        if claimed.isEmpty { break }
                        for charge in claimed { await send(charge) }
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
        /// Stripe refused the request itself (not the card): tried again a few times, then
        /// the attempt fails without blaming the card.
        case rejected(StripeError)
        /// Stripe could not be reached or failed: the same attempt again later.
        case unavailable(StripeError)
        /// Turned off after it was sized, and Stripe holds no charge for it: nothing to do.
        case notSent
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
                // Stripe made a PaymentIntent for the refused charge: the owner may finish it
                // on-session with its client secret (authentication), so it is recorded.
                let made = try? await stripe.paymentIntents(customerId: charge.customerId)
                    .first(where: { $0.metadata[StripeEvent.purchaseMetadataKey] == charge.attemptId })
                if let made { try await store.recordAutoTopupIntent(attemptId: charge.attemptId, paymentIntentId: made.id) }
                try await store.failAutoTopup(attemptId: charge.attemptId, reason: reason, clientSecret: reason == "action_required" ? made?.clientSecret : nil)
            case .rejected(let why) where charge.tries + 1 >= Self.maxRejections:
                logger.warning("auto top-up rejected by Stripe", metadata: ["attempt": "\(charge.attemptId)", "error": "\(Self.shortReason(why))"])
                try await store.failAutoTopup(attemptId: charge.attemptId, reason: "stripe_rejected", clientSecret: nil)
            case .notSent:
                try await store.failAutoTopup(attemptId: charge.attemptId, reason: "turned_off", clientSecret: nil)
            case .rejected(let why), .unavailable(let why):
                let reason = Self.shortReason(why)
                let delay = AutoTopup.retryDelayMillis(tries: charge.tries)
                logger.warning("auto top-up will retry", metadata: ["attempt": "\(charge.attemptId)", "in_ms": "\(delay)", "error": "\(reason)"])
                try await store.retryAutoTopup(attemptId: charge.attemptId, reason: reason, delayMillis: delay)
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
            if charge.tries > 0 || !charge.mayCreate, let made = try await stripe.paymentIntents(customerId: charge.customerId)
                .first(where: { $0.metadata[StripeEvent.purchaseMetadataKey] == charge.attemptId }) {
                return .intent(made)
            }
        } catch {
            return .unavailable(error)
        }
        guard charge.mayCreate else { return .notSent }
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
        case .api(let status, let type, let code, _) where status < 500 && status != 429:
            if code == "authentication_required" { return .refused(reason: "action_required") }
            if status == 402 || type == "card_error" { return .refused(reason: code ?? "card_declined") }
            // A 409 (the same key in flight elsewhere), a 400 or a key Stripe does not know:
            // not the card's fault, and never a reason to block it.
            return .rejected(error)
        default:
            return .unavailable(error)
        }
    }

    /// What an attempt shows of a failed send (its viewers see it): the kind and Stripe's
    /// status only, never Stripe's message, which may quote the request.
    static func shortReason(_ error: StripeError) -> String {
        switch error {
        case .api(let status, _, _, _): "stripe_unavailable: HTTP \(status)"
        case .unreachable: "stripe_unreachable"
        case .malformedAnswer: "stripe_malformed_answer"
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
