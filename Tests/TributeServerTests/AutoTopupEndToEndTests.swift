import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import Testing
import TributeCore
import TributeStore
import TributeTestSupport
@testable import TributePayments

/// Auto top-up end to end (SPEC §3.8): the real `tribute serve` alone, localstripe holding the
/// Customer, the saved card and the off-session PaymentIntents, and the card saved through a
/// signed `setup_intent.succeeded` (localstripe sends none: see TOOLS.md).
@Suite(.serialized) struct AutoTopupEndToEndTests {
    typealias Setup = PaymentsEndToEndTests.Setup

    /// localstripe's API, as a platform's own server and Stripe.js would call it.
    struct Stripe {
        let base: String

        func call(_ method: HTTPMethod, _ path: String, form: [(String, String)] = []) async throws -> [String: JSON] {
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer sk_test_tribute")
            if method == .POST {
                request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
                request.body = .bytes(ByteBuffer(string: FormEncoding.encode(form)))
            }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 16 << 20)
            return try JSON.parse(Array(body.readableBytesView)).objectValue ?? [:]
        }

        /// A card attached to the customer: a test token (`pm_card_visa`, …) or a number.
        func attach(_ card: String, to customer: String) async throws -> String {
            var method = card
            if card.first?.isNumber == true {
                let made = try await call(.POST, "/v1/payment_methods", form: [
                    ("type", "card"), ("card[number]", card), ("card[exp_month]", "12"), ("card[exp_year]", "2030"), ("card[cvc]", "123"),
                ])
                method = try #require(made["id"]?.stringValue)
            }
            let attached = try await call(.POST, "/v1/payment_methods/\(method)/attach", form: [("customer", customer)])
            return try #require(attached["id"]?.stringValue)
        }

        func paymentIntents(customer: String) async throws -> [[String: JSON]] {
            guard case .array(let items)? = try await call(.GET, "/v1/payment_intents?limit=100")["data"] else { return [] }
            return items.compactMap(\.objectValue).filter { $0["customer"]?.stringValue == customer }
        }
    }

    /// Saves `card` for the workspace the way a platform does: Tribute's SetupIntent,
    /// confirmed with the card, then Stripe's event (signed here, as localstripe sends none).
    static func saveCard(_ setup: Setup, workspace: String, card: String) async throws -> (customer: String, answer: HTTP.Answer) {
        let started = try await setup.call(.post, "/v1/workspaces/\(workspace)/payment-method/setup")
        #expect(started.status == .created)
        let body = try #require(started.json?.objectValue)
        let customer = try #require(body["customerId"]?.stringValue)
        let intent = try #require(body["setupIntentId"]?.stringValue)
        #expect(body["clientSecret"]?.stringValue?.hasPrefix(intent) == true)
        let stripe = Stripe(base: setup.stripeBase)
        let method = try await stripe.attach(card, to: customer)
        _ = try await stripe.call(.POST, "/v1/setup_intents/\(intent)/confirm", form: [("payment_method", method)])
        let object = try await stripe.call(.GET, "/v1/setup_intents/\(intent)")
        let event = JSON.object([
            "id": .string("evt_" + Identifier.randomBase62(count: 12)), "type": .string("setup_intent.succeeded"),
            "data": .object(["object": .object(object)]),
        ]).serialized
        return (customer, try await setup.deliver(event))
    }

    static func autoTopup(_ setup: Setup, _ workspace: String) async throws -> [String: JSON] {
        try await setup.call(.get, "/v1/workspaces/\(workspace)/auto-topup").json?.objectValue ?? [:]
    }

    static func grant(_ setup: Setup, _ workspace: String, _ credits: Int) async throws {
        let granted = try await setup.call(.post, "/v1/workspaces/\(workspace)/credit-grants", body: #"{"amount":\#(credits)}"#)
        #expect(granted.status == .created)
    }

    static let settings = #"{"packageId":"starter","threshold":50,"maxCentsPerMonth":5000}"#

    /// A new workspace with `pm_card_visa` saved, 20 credits and auto top-up enabled: below
    /// its threshold, so charged at once. - Returns: the customer.
    static func enabled(_ setup: Setup, _ workspace: String) async throws -> String {
        #expect(try await setup.call(.post, "/v1/workspaces", body: #"{"id":"\#(workspace)","name":"W","planId":"prepaid"}"#).status == .created)
        let (customer, _) = try await saveCard(setup, workspace: workspace, card: "pm_card_visa")
        try await grant(setup, workspace, 20)
        #expect(try await setup.call(.put, "/v1/workspaces/\(workspace)/auto-topup", body: settings).status == .ok)
        return customer
    }

    /// `card` saved, 10 credits, auto top-up enabled (below its threshold: charged at once),
    /// and waited for until the charge fails and suspends it. - Returns: the customer.
    static func suspendedAfterEnabling(_ setup: Setup, _ workspace: String, card: String) async throws -> String {
        let (customer, _) = try await saveCard(setup, workspace: workspace, card: card)
        try await grant(setup, workspace, 10)
        #expect(try await setup.call(.put, "/v1/workspaces/\(workspace)/auto-topup", body: settings).status == .ok)
        let suspended = try await PaymentsEndToEndTests.eventually { try await autoTopup(setup, workspace)["state"]?.stringValue == "suspended" }
        #expect(suspended)
        return customer
    }

    /// A card saved, auto top-up enabled below the threshold: charged at once, once, and
    /// credited; Stripe's own success event, replayed five times, credits nothing more; a
    /// denial meanwhile says to wait or stop.
    @Test(.timeLimit(.minutes(3)))
    func enablingBelowTheThresholdChargesTheSavedCardOnce() async throws {
        let setup = try await PaymentsEndToEndTests.start("auto")
        defer { setup.server.process.terminate(); setup.server.process.waitUntilExit() }
        try await PaymentsEndToEndTests.registerWebhook(setup)
        let (customer, saved) = try await Self.saveCard(setup, workspace: "auto", card: "pm_card_visa")
        #expect(saved.json?.objectValue?["outcome"]?.stringValue == "card_saved")
        let waiting = try await Self.autoTopup(setup, "auto")
        #expect(waiting["state"]?.stringValue == "off")
        #expect(waiting["paymentMethod"] == .object(["brand": .string("visa"), "last4": .string("4242")]))
        try await Self.grant(setup, "auto", 30)

        let put = try await setup.call(.put, "/v1/workspaces/auto/auto-topup", body: Self.settings)
        #expect(put.status == .ok)
        #expect(["pending", "active"].contains(put.json?.objectValue?["state"]?.stringValue ?? ""))
        let landed = try await PaymentsEndToEndTests.eventually { try await setup.balance("auto") == Amount(units: 130) }
        #expect(landed, "30 credits, threshold 50: one package of 100 should land")
        let view = try await Self.autoTopup(setup, "auto")
        #expect(view["state"]?.stringValue == "active" && view["spentThisMonthCents"] == .number("1000"))
        let attempt = try #require(view["lastAttempt"]?.objectValue)
        #expect(attempt["status"]?.stringValue == "succeeded" && attempt["packages"] == .number("1"))
        let intents = try await Stripe(base: setup.stripeBase).paymentIntents(customer: customer)
        #expect(intents.count == 1)
        let intentId = try #require(attempt["paymentIntentId"]?.stringValue)

        // localstripe's own `payment_intent.succeeded`, delivered again five times at once.
        _ = try await PaymentsEndToEndTests.eventually {
            (try? await PaymentsEndToEndTests.succeededEvent(setup, intentId: intentId)) != nil
        }
        let event = try await PaymentsEndToEndTests.succeededEvent(setup, intentId: intentId)
        try await withThrowingTaskGroup(of: HTTP.Answer.self) { group in
            for _ in 0..<5 { group.addTask { try await setup.deliver(event) } }
            for try await answer in group { #expect(answer.status == .ok) }
        }
        try await Task.sleep(for: .seconds(2))
        #expect(try await setup.balance("auto") == Amount(units: 130))
        let verify = try TributeProcess.run(setup.binary, ["ledger", "verify", "--database", setup.database])
        #expect(verify.status == 0, "\(verify.output)")
    }

    /// A declining card suspends auto top-up with no retry; the same card saved again keeps
    /// it suspended; another card resumes it and is charged.
    @Test(.timeLimit(.minutes(3)))
    func aDecliningCardSuspendsUntilAnotherCard() async throws {
        let setup = try await PaymentsEndToEndTests.start("decline")
        defer { setup.server.process.terminate(); setup.server.process.waitUntilExit() }
        let customer = try await Self.suspendedAfterEnabling(setup, "decline", card: "pm_card_chargeCustomerFail")
        let view = try await Self.autoTopup(setup, "decline")
        #expect(view["reason"]?.stringValue == "card_declined")
        #expect(view["lastAttempt"]?.objectValue?["status"]?.stringValue == "failed")
        let denied = try await setup.call(.post, "/v1/agent-actions/authorize-and-debit", body: #"{"workspaceId":"decline","actionType":"SIMPLE_LLM","costMultiplier":1000}"#)
        #expect(denied.json?.objectValue?["autoTopup"] == .object(["state": .string("suspended"), "reason": .string("card_declined")]), "\(denied.status) \(String(describing: denied.json))")
        try await Task.sleep(for: .seconds(3))
        #expect(try await Stripe(base: setup.stripeBase).paymentIntents(customer: customer).count == 1, "no retry on the declining card")

        _ = try await Self.saveCard(setup, workspace: "decline", card: "pm_card_chargeCustomerFail")
        #expect(try await Self.autoTopup(setup, "decline")["state"]?.stringValue == "suspended", "the same card (fingerprint) stays suspended")
        _ = try await Self.saveCard(setup, workspace: "decline", card: "pm_card_visa")
        let landed = try await PaymentsEndToEndTests.eventually { try await setup.balance("decline") == Amount(units: 110) }
        #expect(landed, "another card resumes auto top-up, still below the threshold: charged at once")
        #expect(try await Self.autoTopup(setup, "decline")["state"]?.stringValue == "active")
    }

    /// A card that asks for authentication: `action_required`, the PaymentIntent's client
    /// secret in the event for the owner to finish on-session, and no credits.
    @Test(.timeLimit(.minutes(3)))
    func aCardThatNeedsAuthenticationSuspendsWithoutCredits() async throws {
        let setup = try await PaymentsEndToEndTests.start("action")
        defer { setup.server.process.terminate(); setup.server.process.waitUntilExit() }
        let customer = try await Self.suspendedAfterEnabling(setup, "action", card: "4000002500003155")
        #expect(try await Self.autoTopup(setup, "action")["reason"]?.stringValue == "action_required")
        #expect(try await setup.balance("action") == Amount(units: 10))
        let intents = try await Stripe(base: setup.stripeBase).paymentIntents(customer: customer)
        #expect(intents.count == 1 && intents.first?["status"]?.stringValue == "requires_action")
        let store = try SQLiteStore(path: String(setup.database.dropFirst("sqlite:".count)))
        let failed = try await store.events(workspaceId: "action", afterSeq: 0, limit: 100).filter { $0.type == .autoTopupFailed }
        #expect(failed.count == 1)
        #expect(failed.first?.data["clientSecret"]?.stringValue == intents.first?["client_secret"]?.stringValue)
        #expect(failed.first?.data["reason"] == .string("action_required"))
    }

    /// Two servers on one PostgreSQL database, each with its worker: 200 debits through both
    /// at once cross the threshold, and exactly one attempt and one PaymentIntent follow,
    /// credited once.
    @Test(.timeLimit(.minutes(3)))
    func twoInstancesAcrossTheThresholdMakeOnePaymentIntent() async throws {
        guard let base = ProcessInfo.processInfo.environment["TRIBUTE_TEST_STRIPE_API_BASE"], !base.isEmpty else {
            throw PaymentsEndToEndTests.NotConfigured()
        }
        let deployment = try await Deployment(.postgres, stripeBase: base)
        let first = try await deployment.serve(through: nil, log: "first.log")
        defer { first.server.process.terminate(); first.server.process.waitUntilExit() }
        let second = try await deployment.serve(through: nil, log: "second.log")
        defer { second.server.process.terminate(); second.server.process.waitUntilExit() }
        #expect(try await first.call(.post, "/v1/workspaces", body: #"{"id":"pair","name":"Pair","planId":"prepaid"}"#).status == .created)
        let (customer, _) = try await Self.saveCard(first, workspace: "pair", card: "pm_card_visa")
        try await Self.grant(first, "pair", 60)
        #expect(try await second.call(.put, "/v1/workspaces/pair/auto-topup", body: Self.settings).json?.objectValue?["state"] == .string("active"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<200 {
                let setup = index % 2 == 0 ? first : second
                group.addTask {
                    let answer = try await setup.call(.post, "/v1/agent-actions/authorize-and-debit", body: #"{"workspaceId":"pair","actionType":"SIMPLE_LLM"}"#)
                    #expect(answer.json?.objectValue?["success"] == .bool(true))
                }
            }
            try await group.waitForAll()
        }
        // 60 − 200 × 0.1 = 40, at or below 50: one package of 100.
        let landed = try await PaymentsEndToEndTests.eventually { try await first.balance("pair") == Amount(units: 140) }
        #expect(landed)
        try await Task.sleep(for: .seconds(3))
        #expect(try await Stripe(base: base).paymentIntents(customer: customer).count == 1)
        let attempts = try await second.call(.get, "/v1/workspaces/pair/auto-topup/attempts")
        #expect(attempts.json?.objectValue?["items"]?.arrayValue?.count == 1)
        #expect(try await second.balance("pair") == Amount(units: 140))
        let verify = try TributeProcess.run(deployment.binary, ["ledger", "verify", "--database", deployment.database])
        #expect(verify.status == 0, "\(verify.output)")
    }

    /// Stripe failing with 503s: the charge is tried again, with backoff, until it goes
    /// through; one PaymentIntent, credited once.
    @Test(.timeLimit(.minutes(3)))
    func stripeFailingIsRetriedUntilTheChargeGoesThrough() async throws {
        guard let base = ProcessInfo.processInfo.environment["TRIBUTE_TEST_STRIPE_API_BASE"], !base.isEmpty else {
            throw PaymentsEndToEndTests.NotConfigured()
        }
        // The client's own three tries fail, then the first of the next claim's.
        let proxy = try await FaultyProxy.start(target: base, failCreates: 4)
        defer { proxy.task.cancel() }
        let deployment = try await Deployment(.sqlite, stripeBase: base)
        let setup = try await deployment.serve(through: proxy, log: "serve.log")
        defer { setup.server.process.terminate(); setup.server.process.waitUntilExit() }
        let customer = try await Self.enabled(setup, "retry")
        let pending = try await PaymentsEndToEndTests.eventually {
            try await Self.autoTopup(setup, "retry")["lastAttempt"]?.objectValue?["reason"]?.stringValue?.contains("503") == true
        }
        #expect(pending, "the failure is recorded on the attempt, which stays open")
        #expect(try await Self.autoTopup(setup, "retry")["state"]?.stringValue == "pending")
        let landed = try await PaymentsEndToEndTests.eventually { try await setup.balance("retry") == Amount(units: 120) }
        #expect(landed)
        #expect(try await Stripe(base: base).paymentIntents(customer: customer).count == 1)
        #expect(try await Self.autoTopup(setup, "retry")["state"]?.stringValue == "active")
    }

    /// `kill -9` while the worker waits for Stripe's answer to the charge it sent: after a
    /// restart, the attempt is found at Stripe by its metadata, not charged again, and
    /// credited once.
    @Test(.timeLimit(.minutes(3)), arguments: Backend.allCases)
    func aCrashBetweenTheOutboxAndStripesAnswerChargesOnce(backend: Backend) async throws {
        guard let base = ProcessInfo.processInfo.environment["TRIBUTE_TEST_STRIPE_API_BASE"], !base.isEmpty else {
            throw PaymentsEndToEndTests.NotConfigured()
        }
        let proxy = try await FaultyProxy.start(target: base, stallCreates: true)
        defer { proxy.task.cancel() }
        let deployment = try await Deployment(backend, stripeBase: base)
        let first = try await deployment.serve(through: proxy, log: "first.log")
        // The worker sends the charge; the proxy passes it to Stripe and never answers.
        let customer = try await Self.enabled(first, "crash")
        let stripe = Stripe(base: base)
        let charged = try await PaymentsEndToEndTests.eventually { try await stripe.paymentIntents(customer: customer).count == 1 }
        #expect(charged)
        kill(first.server.process.processIdentifier, SIGKILL)
        first.server.process.waitUntilExit()

        let setup = try await deployment.serve(through: nil, log: "second.log")
        defer { setup.server.process.terminate(); setup.server.process.waitUntilExit() }
        let landed = try await PaymentsEndToEndTests.eventually { try await setup.balance("crash") == Amount(units: 120) }
        #expect(landed, "the charge made before the crash is found and credited")
        try await Task.sleep(for: .seconds(3))
        #expect(try await stripe.paymentIntents(customer: customer).count == 1, "one PaymentIntent")
        #expect(try await setup.balance("crash") == Amount(units: 120), "one grant")
        let kinds = try await setup.call(.get, "/v1/workspaces/crash/transactions")
        guard case .array(let items)? = kinds.json?.objectValue?["items"] else { Issue.record("no transactions"); return }
        #expect(items.filter { $0.objectValue?["kind"]?.stringValue == "credit_purchase" }.count == 1)
        let verify = try TributeProcess.run(setup.binary, ["ledger", "verify", "--database", setup.database])
        #expect(verify.status == 0, "\(verify.output)")
    }
}

/// A database with an admin key, served by `tribute serve` with payments on, the worker's
/// lease short (2 s) so that a crashed send is taken up again soon.
struct Deployment {
    let binary: String
    let database: String
    let key: String
    let secret = "whsec_" + Identifier.randomBase62(count: 24)
    let dir: String
    let stripeBase: String

    init(_ backend: Backend, stripeBase: String) async throws {
        binary = try TributeProcess.binary()
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("tribute-auto-" + Identifier.randomBase62(count: 8)).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        database = backend == .sqlite ? "sqlite:\(dir)/pay.sqlite" : try await TestPostgres.newDatabase()
        key = try TributeProcess.run(binary, ["keys", "create", "--role", "admin", "--database", database]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        self.stripeBase = stripeBase
    }

    /// A server reaching Stripe through `proxy` (straight when `nil`).
    func serve(through proxy: FaultyProxy?, log: String) async throws -> PaymentsEndToEndTests.Setup {
        let server = try await TributeProcess.serve(binary, database: database, log: dir + "/" + log, environment: [
            "STRIPE_SECRET_KEY": "sk_test_tribute", "STRIPE_WEBHOOK_SECRET": secret, "TRIBUTE_AUTO_TOPUP_LEASE_SECONDS": "2",
            "STRIPE_API_BASE": proxy.map { "http://127.0.0.1:\($0.port)" } ?? stripeBase,
        ])
        return PaymentsEndToEndTests.Setup(server: server, key: key, stripeBase: stripeBase, webhookSecret: secret, database: database, binary: binary)
    }
}

/// An HTTP proxy to Stripe that passes every request on, except that it answers the first
/// `failCreates` requests creating a PaymentIntent with a 503 without passing them on, and,
/// when `stallCreates`, never answers one it passed on: the faults a charge is tested under.
struct FaultyProxy {
    let port: Int
    let task: Task<Void, any Error>

    actor Failures {
        var left: Int
        init(_ left: Int) { self.left = left }
        func take() -> Bool {
            guard left > 0 else { return false }
            left -= 1
            return true
        }
    }

    static func start(target: String, failCreates: Int = 0, stallCreates: Bool = false) async throws -> FaultyProxy {
        let router = Router()
        let failures = Failures(failCreates)
        let forward: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, _ in
            let creates = request.method == .post && request.uri.path == "/v1/payment_intents"
            if creates, await failures.take() {
                return Response(status: .serviceUnavailable, headers: [.contentType: "application/json"],
                                body: .init(byteBuffer: ByteBuffer(string: #"{"error":{"type":"api_error","message":"try again"}}"#)))
            }
            var outgoing = HTTPClientRequest(url: target + request.uri.description)
            outgoing.method = .init(rawValue: request.method.rawValue)
            for field in request.headers where field.name.canonicalName != "host" && field.name != .contentLength {
                outgoing.headers.add(name: field.name.rawName, value: field.value)
            }
            let body = try await request.body.collect(upTo: 1 << 20)
            if request.method == .post { outgoing.body = .bytes(body) }
            let answer = try await HTTPClient.shared.execute(outgoing, timeout: .seconds(10))
            let bytes = try await answer.body.collect(upTo: 16 << 20)
            if creates && stallCreates { try await Task.sleep(for: .seconds(3_600)) }
            return Response(status: .init(code: Int(answer.status.code)), headers: [.contentType: "application/json"], body: .init(byteBuffer: bytes))
        }
        router.get("**", use: forward)
        router.post("**", use: forward)
        let ports = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in ports.continuation.yield(channel.localAddress?.port ?? 0) })
        let task = Task { try await app.run() }
        var iterator = ports.stream.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw TributeProcess.ServerDidNotStart() }
        return FaultyProxy(port: port, task: task)
    }
}
