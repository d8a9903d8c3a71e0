import Foundation
import Testing
import TributeCore
@testable import TributePayments

/// The Stripe client against localstripe, a Stripe server nobody here wrote, which
/// `scripts/test.sh` starts on 127.0.0.1 and names in `TRIBUTE_TEST_STRIPE_API_BASE`.
struct StripeClientTests {
    struct NotConfigured: Error, CustomStringConvertible {
        var description: String { "TRIBUTE_TEST_STRIPE_API_BASE is not set: run the tests with scripts/test.sh, which starts localstripe" }
    }

    static func client() throws -> StripeClient {
        guard let base = ProcessInfo.processInfo.environment["TRIBUTE_TEST_STRIPE_API_BASE"], !base.isEmpty else { throw NotConfigured() }
        return StripeClient(configuration: StripeConfiguration(secretKey: "sk_test_tribute", apiBase: base))
    }

    @Test func aPaymentIntentIsCreatedWithItsMetadata() async throws {
        let client = try Self.client()
        // A fresh key per run, so localstripe never replays an earlier run's intent. A UUID
        // keeps this target on TributeCore and TributePayments alone (ids are made in TributeStore).
        let intent = try await client.createPaymentIntent(
            amountCents: 1_000, currency: "usd", metadata: ["workspace_id": "acme & co", "package_id": "starter"],
            paymentMethod: "pm_card_visa", idempotencyKey: "test-" + UUID().uuidString)
        #expect(intent.id.hasPrefix("pi_"))
        #expect(intent.amountCents == 1_000)
        #expect(intent.currency == "usd")
        #expect(intent.metadata == ["workspace_id": "acme & co", "package_id": "starter"])
        #expect(intent.clientSecret?.hasPrefix(intent.id) == true)
        let read = try await client.paymentIntent(id: intent.id)
        #expect(read.id == intent.id && read.metadata == intent.metadata)
    }

    @Test func stripesErrorsComeBackAsTheyWereSent() async throws {
        let client = try Self.client()
        await #expect(throws: StripeError.api(status: 404, type: "invalid_request_error", code: nil, message: "Not Found")) {
            _ = try await client.paymentIntent(id: "pi_missing")
        }
    }

    @Test func anUnreachableStripeFailsAfterItsAttempts() async throws {
        // Nothing listens on port 1 of the loopback.
        let client = StripeClient(configuration: StripeConfiguration(secretKey: "sk_test_x", apiBase: "http://127.0.0.1:1", timeoutSeconds: 2, maxAttempts: 2))
        let started = ContinuousClock.now
        do {
            _ = try await client.paymentIntent(id: "pi_1")
            Issue.record("a call to nowhere succeeded")
        } catch {
            guard case .unreachable = error else { Issue.record("unexpected \(error)"); return }
        }
        // One retry after 0.5 s, not an endless loop: two 2 s attempts, with a wide margin
        // for a machine running the other suites beside it (it once took 11 s).
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test func formsAreEncodedAsStripeReadsThem() {
        #expect(FormEncoding.encode([("metadata[workspace_id]", "acme & co/é"), ("amount", "1000")])
            == "metadata%5Bworkspace_id%5D=acme%20%26%20co%2F%C3%A9&amount=1000")
    }

    @Test func theEnvironmentConfiguresStripeOrLeavesItOff() {
        #expect(StripeConfiguration.fromEnvironment([:]) == nil)
        let configured = StripeConfiguration.fromEnvironment(["STRIPE_SECRET_KEY": "sk_x", "STRIPE_API_BASE": "http://127.0.0.1:9/"])
        #expect(configured?.apiBase == "http://127.0.0.1:9")
        #expect(configured?.webhookSecret == nil)
    }
}
