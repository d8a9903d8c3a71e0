import AsyncHTTPClient
import Foundation
import HTTPTypes
import Testing
import TributeCore
import TributeStore
@testable import TributePayments

/// Buying credits end to end: the real `tribute serve`, localstripe (a Stripe server nobody
/// here wrote) creating and confirming the PaymentIntent and delivering its own signed
/// webhook to Tribute, and the credits landing in the wallet and the ledger once.
@Suite(.serialized) struct PaymentsEndToEndTests {
    struct NotConfigured: Error, CustomStringConvertible {
        var description: String { "TRIBUTE_TEST_STRIPE_API_BASE is not set: run the tests with scripts/test.sh, which starts localstripe" }
    }

    /// A running server with payments on, a workspace and an admin key.
    struct Setup {
        let server: TributeProcess.Server
        let key: String
        let stripeBase: String
        let webhookSecret: String
        let database: String
        let binary: String

        func call(_ method: HTTPRequest.Method, _ path: String, body: String? = nil, headers: [(String, String)] = []) async throws -> HTTP.Answer {
            try await HTTP.call(port: server.port, method, path, key: key, body: body, headers: headers)
        }

        func balance(_ workspace: String) async throws -> Amount {
            let answer = try await call(.get, "/v1/workspaces/\(workspace)")
            guard case .number(let text)? = answer.json?.objectValue?["remainingBalance"] else { throw HTTP.TimedOut() }
            return try Amount.parse(text)
        }

        /// Posts `payload` to the webhook route as Stripe would, signed with the secret.
        func deliver(_ payload: String, secret: String? = nil, timestamp: Int64? = nil) async throws -> HTTP.Answer {
            let signature = WebhookSignature.header(payload: Array(payload.utf8), secret: secret ?? webhookSecret,
                                                    timestampSeconds: timestamp ?? Int64(Date().timeIntervalSince1970))
            return try await call(.post, "/v1/stripe/webhook", body: payload, headers: [("Stripe-Signature", signature)])
        }
    }

    static func start(_ name: String) async throws -> Setup {
        guard let base = ProcessInfo.processInfo.environment["TRIBUTE_TEST_STRIPE_API_BASE"], !base.isEmpty else { throw NotConfigured() }
        let binary = try TributeProcess.binary()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tribute-pay-" + Identifier.randomBase62(count: 8)).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let database = "sqlite:\(dir)/pay.sqlite"
        let key = try TributeProcess.run(binary, ["keys", "create", "--role", "admin", "--database", database]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let secret = "whsec_" + Identifier.randomBase62(count: 24)
        let server = try await TributeProcess.serve(binary, database: database, log: dir + "/serve.log", environment: [
            "STRIPE_SECRET_KEY": "sk_test_tribute", "STRIPE_WEBHOOK_SECRET": secret, "STRIPE_API_BASE": base,
        ])
        let setup = Setup(server: server, key: key, stripeBase: base, webhookSecret: secret, database: database, binary: binary)
        let created = try await setup.call(.post, "/v1/workspaces", body: #"{"id":"\#(name)","name":"Buyer","planId":"prepaid"}"#)
        #expect(created.status == .created)
        return setup
    }

    /// Tells localstripe to deliver its events to this server, signed with its secret.
    static func registerWebhook(_ setup: Setup) async throws {
        var request = HTTPClientRequest(url: setup.stripeBase + "/_config/webhooks/tribute-" + Identifier.randomBase62(count: 8))
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let url = "http://127.0.0.1:\(setup.server.port)/v1/stripe/webhook"
        request.body = .bytes(.init(string: FormEncoding.encode([("url", url), ("secret", setup.webhookSecret)])))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        #expect(response.status.code == 200)
    }

    static func stripe(_ setup: Setup) -> StripeClient {
        StripeClient(configuration: StripeConfiguration(secretKey: "sk_test_tribute", apiBase: setup.stripeBase))
    }

    /// Waits up to 20 s for `condition`.
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<200 {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    @Test(.timeLimit(.minutes(3)))
    func aPurchaseIsCreditedOnceByStripesOwnWebhook() async throws {
        let setup = try await Self.start("buyer")
        defer { setup.server.process.terminate(); setup.server.process.waitUntilExit() }
        try await Self.registerWebhook(setup)

        let packages = try await setup.call(.get, "/v1/credit-packages")
        guard case .array(let list)? = packages.json else { Issue.record("no package list"); return }
        #expect(list.count == 4)

        let bought = try await setup.call(.post, "/v1/workspaces/buyer/credit-purchases", body: #"{"packageId":"starter","paymentMethodId":"pm_card_visa"}"#)
        #expect(bought.status == .created)
        let purchase = try #require(bought.json?.objectValue)
        let intentId = try #require(purchase["paymentIntentId"]?.stringValue)
        let purchaseId = try #require(purchase["id"]?.stringValue)
        #expect(purchase["clientSecret"]?.stringValue?.hasPrefix(intentId) == true)
        #expect(purchase["amountCents"] == .number("1000"))
        #expect(purchase["credits"] == .number("100"))
        #expect(purchase["status"]?.stringValue == "pending")

        // The customer confirms with the card; localstripe then delivers its signed event.
        let confirmed = try await Self.stripe(setup).confirmPaymentIntent(id: intentId, idempotencyKey: "confirm-" + intentId)
        #expect(confirmed.status == "succeeded")
        let landed = try await Self.eventually { try await setup.balance("buyer") == Amount(units: 100) }
        #expect(landed, "localstripe's payment_intent.succeeded should have credited 100")
        let stored = try await setup.call(.get, "/v1/workspaces/buyer/credit-purchases/\(purchaseId)")
        #expect(stored.json?.objectValue?["status"]?.stringValue == "succeeded")
        let kinds = try await HTTP.collect("kind", port: setup.server.port, path: "/v1/workspaces/buyer/transactions", key: setup.key)
        #expect(kinds.contains("credit_purchase"))

        // The same event, as localstripe sent it, replayed 5 times at once: credited once.
        let event = try await Self.succeededEvent(setup, intentId: intentId)
        try await withThrowingTaskGroup(of: HTTP.Answer.self) { group in
            for _ in 0..<5 { group.addTask { try await setup.deliver(event) } }
            for try await answer in group {
                #expect(answer.status == .ok)
                #expect(answer.json?.objectValue?["outcome"]?.stringValue == "unchanged")
            }
        }
        #expect(try await setup.balance("buyer") == Amount(units: 100))

        // A partial refund takes back its share; its repeat takes nothing more.
        let refund = #"{"id":"evt_refund_1","type":"charge.refunded","data":{"object":{"id":"ch_1","object":"charge","payment_intent":"\#(intentId)","amount":1000,"amount_refunded":250}}}"#
        #expect(try await setup.deliver(refund).json?.objectValue?["outcome"]?.stringValue == "refunded")
        #expect(try await setup.deliver(refund).json?.objectValue?["outcome"]?.stringValue == "unchanged")
        #expect(try await setup.balance("buyer") == Amount(units: 75))

        // A bad signature, a stale one and a tampered body are refused and change nothing.
        let again = refund.replacingOccurrences(of: "\"amount_refunded\":250", with: "\"amount_refunded\":1000")
        #expect(try await setup.deliver(again, secret: "whsec_wrong").status == .badRequest)
        #expect(try await setup.deliver(again, timestamp: Int64(Date().timeIntervalSince1970) - 301).status == .badRequest)
        let signature = WebhookSignature.header(payload: Array(refund.utf8), secret: setup.webhookSecret, timestampSeconds: Int64(Date().timeIntervalSince1970))
        let tampered = try await setup.call(.post, "/v1/stripe/webhook", body: again, headers: [("Stripe-Signature", signature)])
        #expect(tampered.status == .badRequest)
        #expect(tampered.json?.objectValue?["error"]?.objectValue?["code"]?.stringValue == "invalid_signature")
        #expect(try await setup.balance("buyer") == Amount(units: 75))

        // Events Tribute does not act on are acknowledged.
        let other = #"{"id":"evt_other","type":"customer.created","data":{"object":{"id":"cus_1"}}}"#
        #expect(try await setup.deliver(other).json?.objectValue?["outcome"]?.stringValue == "ignored")

        let verify = try TributeProcess.run(setup.binary, ["ledger", "verify", "--database", setup.database])
        #expect(verify.status == 0, "\(verify.output)")
    }

    @Test(.timeLimit(.minutes(3)))
    func aDeclinedCardCreditsNothing() async throws {
        let setup = try await Self.start("declined")
        defer { setup.server.process.terminate(); setup.server.process.waitUntilExit() }
        try await Self.registerWebhook(setup)
        let bought = try await setup.call(.post, "/v1/workspaces/declined/credit-purchases", body: #"{"packageId":"starter","paymentMethodId":"pm_card_chargeCustomerFail"}"#)
        #expect(bought.status == .created)
        let intentId = try #require(bought.json?.objectValue?["paymentIntentId"]?.stringValue)
        let purchaseId = try #require(bought.json?.objectValue?["id"]?.stringValue)
        do {
            _ = try await Self.stripe(setup).confirmPaymentIntent(id: intentId, idempotencyKey: "confirm-" + intentId)
            Issue.record("the card should have been declined")
        } catch .api(_, _, let code, _) {
            // Stripe says card_error; localstripe says invalid_request_error. Both name the code.
            #expect(code == "card_declined")
        }
        let failed = try await Self.eventually {
            try await setup.call(.get, "/v1/workspaces/declined/credit-purchases/\(purchaseId)").json?.objectValue?["status"]?.stringValue == "failed"
        }
        #expect(failed, "localstripe's payment_intent.payment_failed should have marked the purchase failed")
        #expect(try await setup.balance("declined") == .zero)
    }

    @Test func purchasesAnswer503WithoutAStripeKey() async throws {
        let binary = try TributeProcess.binary()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tribute-nopay-" + Identifier.randomBase62(count: 8)).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let database = "sqlite:\(dir)/nopay.sqlite"
        let key = try TributeProcess.run(binary, ["keys", "create", "--role", "admin", "--database", database]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try await TributeProcess.serve(binary, database: database, log: dir + "/serve.log", environment: ["STRIPE_SECRET_KEY": ""])
        defer { server.process.terminate(); server.process.waitUntilExit() }
        try await HTTP.call(port: server.port, .post, "/v1/workspaces", key: key, body: #"{"id":"w","name":"W","planId":"prepaid"}"#)
        let purchase = try await HTTP.call(port: server.port, .post, "/v1/workspaces/w/credit-purchases", key: key, body: #"{"packageId":"starter"}"#)
        #expect(purchase.status == .serviceUnavailable)
        #expect(purchase.json?.objectValue?["error"]?.objectValue?["code"]?.stringValue == "payments_not_configured")
        let webhook = try await HTTP.call(port: server.port, .post, "/v1/stripe/webhook", key: key, body: "{}")
        #expect(webhook.status == .serviceUnavailable)
        // Everything else works.
        #expect(try await HTTP.call(port: server.port, .get, "/v1/credit-packages", key: key).status == .ok)
        #expect(try await HTTP.call(port: server.port, .get, "/v1/workspaces/w/credit-purchases", key: key).status == .ok)
    }

    /// localstripe's `payment_intent.succeeded` event for `intentId`, as JSON text.
    static func succeededEvent(_ setup: Setup, intentId: String) async throws -> String {
        var request = HTTPClientRequest(url: setup.stripeBase + "/v1/events?type=payment_intent.succeeded&limit=100")
        request.headers.add(name: "Authorization", value: "Bearer sk_test_tribute")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 16 << 20)
        guard case .array(let events)? = try JSON.parse(Array(body.readableBytesView)).objectValue?["data"],
              let event = events.first(where: { $0.objectValue?["data"]?.objectValue?["object"]?.objectValue?["id"]?.stringValue == intentId }) else {
            throw HTTP.TimedOut()
        }
        return event.serialized
    }
}
