import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TributeCore
@testable import TributeServer
@testable import TributeStore
import TributeTestSupport

/// A local HTTP server that records what it receives and fails the first `failures` calls.
actor Receiver {
    struct Received: Sendable {
        let body: [UInt8]
        let signature: String?
        let eventId: String?
    }

    private(set) var received: [Received] = []
    private var failuresLeft: Int

    init(failures: Int) { failuresLeft = failures }

    func take(_ received: Received) -> HTTPResponse.Status {
        self.received.append(received)
        if failuresLeft > 0 {
            failuresLeft -= 1
            return .internalServerError
        }
        return .ok
    }

    /// Runs the receiver on a free port of 127.0.0.1 while `body` runs.
    func serve<T: Sendable>(_ body: @Sendable @escaping (_ url: String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            var request = request
            let bytes = try await request.collectBody(upTo: 1 << 20)
            let status = await self.take(Received(body: Array(bytes.readableBytesView), signature: request.headers[HTTPField.Name("Tribute-Signature")!],
                                                  eventId: request.headers[HTTPField.Name("Tribute-Event-Id")!]))
            return Response(status: status)
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in try await body("http://127.0.0.1:\(client.port!)/hook") }
    }
}

/// A local HTTP server that answers `200` to every POST and then sends the body a byte
/// every 100 ms, until the client hangs up (or a minute has passed).
actor SlowReceiver {
    /// When each request arrived.
    private(set) var arrivals: [ContinuousClock.Instant] = []

    func arrived() { arrivals.append(.now) }

    /// Runs the receiver on a free port of 127.0.0.1 while `body` runs.
    func serve<T: Sendable>(_ body: @Sendable @escaping (_ url: String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/slow") { request, _ -> Response in
            var request = request
            _ = try await request.collectBody(upTo: 1 << 20)
            await self.arrived()
            return Response(status: .ok, body: ResponseBody { writer in
                for _ in 0..<600 {
                    try await writer.write(ByteBuffer(string: " "))
                    try await Task.sleep(for: .milliseconds(100))
                }
                try await writer.finish(nil)
            })
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in try await body("http://127.0.0.1:\(client.port!)/slow") }
    }
}

@Suite struct WebhookDeliveryTests {
    /// A store whose clock the test moves, an endpoint, and a paid purchase's event queued.
    static func storeWithEvent(_ backend: Backend, url: String, clock: ManualClock) async throws -> (any TributeStore, secret: String, endpointId: String) {
        let (store, _) = try await backend.makeStore(clock: clock)
        let (endpoint, secret) = try await store.createWebhookEndpoint(url: url, eventTypes: [], description: "test receiver")
        _ = try await store.createWorkspace(WorkspaceDraft(id: "w", name: "w", planId: "prepaid", anchorDate: nil))
        try await queueEvent(store)
        return (store, secret, endpoint.id)
    }

    /// A paid purchase in workspace `w`: one `credits.purchased` event for every endpoint.
    static func queueEvent(_ store: any TributeStore) async throws {
        let purchase = try await store.createPurchase(workspaceId: "w", packageId: "starter")
        _ = try await store.attachPaymentIntent(purchaseId: purchase.id, paymentIntentId: "pi_hook_\(Identifier.randomBase62(count: 8))")
        _ = try await store.applyPayment(.succeeded(paymentIntentId: "unused", purchaseId: purchase.id, amountReceivedCents: 1_000, currency: "usd"))
    }

    /// A worker that may call the loopback receivers (`TRIBUTE_WEBHOOK_ALLOW_PRIVATE=1`).
    static func service(_ store: any TributeStore, maxAttempts: Int) -> WebhookDeliveryService {
        WebhookDeliveryService(store: store, policy: RetryPolicy(baseDelayMillis: 1_000, maxDelayMillis: 60_000, maxAttempts: maxAttempts),
                               pollMillis: 20, webhookURLs: .anyAddress, logger: Logger(label: "test"))
    }

    /// Waits up to `seconds` (30 s: the whole suite shares two cores) for `condition`.
    static func eventually(seconds: Int = 30, _ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<(seconds * 50) {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Waits until attempt `attempts` is recorded (not merely claimed): only then is its
    /// retry time fixed, so that moving the clock after it makes the retry due.
    static func recorded(_ store: any TributeStore, _ endpointId: String, attempts: Int, clock: ManualClock) async throws -> Bool {
        try await eventually {
            guard let delivery = try await store.webhookDeliveries(endpointId: endpointId, limit: 1, cursor: nil).items.first,
                  delivery.attempts == attempts else { return false }
            return delivery.status != .pending || (delivery.nextAttemptAtMillis ?? .max) < clock.nowMillis() + WebhookDeliveryService.leaseMillis
        }
    }

    /// A receiver that fails twice gets the event on the third try, each signed so that the
    /// endpoint's secret verifies it; the delivery log tells the story.
    @Test(arguments: Backend.allCases)
    func aFailingReceiverGetsTheEventOnTheThirdTry(backend: Backend) async throws {
        let receiver = Receiver(failures: 2)
        try await receiver.serve { url in
            let clock = ManualClock(millis: Identifier.currentMillis())
            let (store, secret, endpointId) = try await Self.storeWithEvent(backend, url: url, clock: clock)
            let worker = Task { try await Self.service(store, maxAttempts: 5).run() }
            defer { worker.cancel() }
            for expected in 1...3 {
                #expect(try await Self.eventually { await receiver.received.count >= expected }, "attempt \(expected) never came")
                #expect(try await Self.recorded(store, endpointId, attempts: expected, clock: clock))
                // The retry is due one backoff later: 1 s, then 2 s.
                clock.advance(seconds: Int64(1 << (expected - 1)))
            }
            #expect(try await Self.eventually {
                try await store.webhookDeliveries(endpointId: endpointId, limit: 10, cursor: nil).items.first?.status == .delivered
            })
            let received = await receiver.received
            #expect(received.count == 3)
            #expect(Set(received.map(\.eventId)).count == 1)
            for call in received {
                #expect(throws: Never.self) {
                    try WebhookSignature.verify(payload: call.body, header: call.signature ?? "", secret: secret, nowSeconds: clock.nowMillis() / 1000)
                }
            }
            let event = try #require(try JSON.parse(received[0].body).objectValue)
            #expect(event["type"]?.stringValue == "credits.purchased")
            let log = try await store.webhookDeliveries(endpointId: endpointId, limit: 10, cursor: nil).items
            #expect(log.count == 1)
            #expect(log[0].attempts == 3 && log[0].lastStatusCode == 200 && log[0].eventType == "credits.purchased")
        }
    }

    /// Receivers that time out hold no more than their places: with two slow endpoints and
    /// enough due to them to fill every place round after round, a healthy endpoint's event
    /// still goes out once their first attempts timed out, from the places slow endpoints
    /// may not take. (Before, each round gave every place to the slow endpoints' earliest
    /// deliveries, and the healthy one waited until their backlog ran out.)
    @Test(.timeLimit(.minutes(2)), arguments: Backend.allCases)
    func slowEndpointsLeavePlacesForTheOnesThatAnswer(backend: Backend) async throws {
        let slow = SlowReceiver()
        let healthy = Receiver(failures: 0)
        try await slow.serve { slowURL in
            try await healthy.serve { healthyURL in
                let clock = ManualClock(millis: Identifier.currentMillis())
                let (store, _, _) = try await Self.storeWithEvent(backend, url: slowURL, clock: clock)
                _ = try await store.createWebhookEndpoint(url: slowURL, eventTypes: [], description: "a second slow receiver")
                // Six due to each slow endpoint: three rounds of their two places each.
                for _ in 0..<5 { try await Self.queueEvent(store) }
                let service = WebhookDeliveryService(
                    store: store, policy: RetryPolicy(baseDelayMillis: 1_000, maxDelayMillis: 60_000, maxAttempts: 5), pollMillis: 20,
                    webhookURLs: .anyAddress, logger: Logger(label: "test"), attemptTimeoutMillis: 3_000, maxInFlight: 4, maxInFlightPerEndpoint: 2)
                let worker = Task { try await service.run() }
                #expect(try await Self.eventually { await slow.arrivals.count >= 4 })
                let healthyId = try await store.createWebhookEndpoint(url: healthyURL, eventTypes: [], description: nil).0.id
                try await Self.queueEvent(store)
                let queued = ContinuousClock.now
                // Sent after the first round is cut (3 s), not after the slow backlog (9 s and more).
                #expect(try await Self.eventually(seconds: 30) { await healthy.received.count == 1 })
                let waited = ContinuousClock.now - queued
                #expect(waited < .milliseconds(5_500), "the healthy endpoint waited \(waited) behind the slow ones")
                #expect(try await Self.eventually(seconds: 5) {
                    try await store.webhookDeliveries(endpointId: healthyId, limit: 10, cursor: nil).items.first?.status == .delivered
                })
                worker.cancel()
                _ = await worker.result
            }
        }
    }

    /// A receiver that answers `200` at once and then sends its body a byte at a time,
    /// without end, holds up no other endpoint: while five deliveries to it are due and two
    /// of them hang (its share of the worker's four places), an event for a healthy endpoint
    /// is delivered at once; and each hanging attempt is cut at the attempt's deadline, head
    /// and body together, and recorded as failed. (Before, the body had no time limit and
    /// the worker waited for its whole batch: nothing else was sent while the slow answer
    /// lasted, for good if it never ended.)
    @Test(.timeLimit(.minutes(2)), arguments: Backend.allCases)
    func aReceiverThatNeverFinishesItsAnswerHoldsUpNoOtherEndpoint(backend: Backend) async throws {
        let slow = SlowReceiver()
        let healthy = Receiver(failures: 0)
        try await slow.serve { slowURL in
            try await healthy.serve { healthyURL in
                let clock = ManualClock(millis: Identifier.currentMillis())
                let (store, _, slowId) = try await Self.storeWithEvent(backend, url: slowURL, clock: clock)
                for _ in 0..<4 { try await Self.queueEvent(store) }
                let service = WebhookDeliveryService(
                    store: store, policy: RetryPolicy(baseDelayMillis: 1_000, maxDelayMillis: 60_000, maxAttempts: 5), pollMillis: 20,
                    webhookURLs: .anyAddress, logger: Logger(label: "test"), attemptTimeoutMillis: 5_000, maxInFlight: 4, maxInFlightPerEndpoint: 2)
                // No attempt starts before the worker, so none can be cut before this plus the deadline.
                let started = ContinuousClock.now
                let worker = Task { try await service.run() }
                #expect(try await Self.eventually { await slow.arrivals.count >= 2 })
                #expect(await slow.arrivals.count == 2, "more than its share of places went to the slow endpoint")

                let healthyId = try await store.createWebhookEndpoint(url: healthyURL, eventTypes: [], description: nil).0.id
                try await Self.queueEvent(store)
                #expect(try await Self.eventually(seconds: 3) { await healthy.received.count == 1 }, "the healthy endpoint waited for the slow one")
                #expect(try await Self.eventually(seconds: 3) {
                    try await store.webhookDeliveries(endpointId: healthyId, limit: 10, cursor: nil).items.first?.status == .delivered
                })

                // Both hanging attempts end at the deadline, failed, with the status they got.
                #expect(try await Self.eventually {
                    try await store.webhookDeliveries(endpointId: slowId, limit: 10, cursor: nil).items.filter { $0.lastError != nil }.count >= 2
                })
                let elapsed = ContinuousClock.now - started
                #expect(elapsed >= .seconds(5) && elapsed < .seconds(25), "\(elapsed)")
                let cut = try await store.webhookDeliveries(endpointId: slowId, limit: 10, cursor: nil).items.filter { $0.lastError != nil }
                for delivery in cut {
                    #expect(delivery.status == .pending && delivery.attempts == 1 && delivery.lastStatusCode == 200)
                    #expect(delivery.lastError == "HTTP 200, but the answer did not end within 5 s")
                }
                worker.cancel()
                _ = await worker.result
            }
        }
    }

    /// After the last attempt the delivery is failed, with the last answer in the log.
    @Test func deliveriesStopAfterTheLastAttempt() async throws {
        let receiver = Receiver(failures: 100)
        try await receiver.serve { url in
            let clock = ManualClock(millis: Identifier.currentMillis())
            let (store, _, endpointId) = try await Self.storeWithEvent(.sqlite, url: url, clock: clock)
            let worker = Task { try await Self.service(store, maxAttempts: 2).run() }
            defer { worker.cancel() }
            #expect(try await Self.eventually { await receiver.received.count == 1 })
            #expect(try await Self.recorded(store, endpointId, attempts: 1, clock: clock))
            clock.advance(seconds: 1)
            #expect(try await Self.eventually {
                try await store.webhookDeliveries(endpointId: endpointId, limit: 10, cursor: nil).items.first?.status == .failed
            })
            clock.advance(seconds: 3_600)
            try await Task.sleep(for: .milliseconds(200))
            #expect(await receiver.received.count == 2)
            let log = try await store.webhookDeliveries(endpointId: endpointId, limit: 10, cursor: nil).items
            #expect(log[0].lastStatusCode == 500 && log[0].nextAttemptAtMillis == nil)
        }
    }

    /// The outbox is written in the change's transaction: a change that rolls back leaves
    /// no event, and nothing is sent.
    @Test(arguments: Backend.allCases)
    func nothingIsSentForARolledBackChange(backend: Backend) async throws {
        struct Abort: Error {}
        let receiver = Receiver(failures: 0)
        try await receiver.serve { url in
            let (store, _) = try await backend.makeStore(clock: ManualClock(millis: Identifier.currentMillis()))
            _ = try await store.createWebhookEndpoint(url: url, eventTypes: [], description: nil)
            _ = try await store.createWorkspace(WorkspaceDraft(id: "w", name: "w", planId: "prepaid", anchorDate: nil))
            let event: [EventDraft] = [(.creditsPurchased, ["note": .string("never committed")])]
            await #expect(throws: Abort.self) {
                switch store {
                case let sqlite as SQLiteStore:
                    try await sqlite.write { db in
                        try SQLiteStore.appendEvents(db, workspaceId: "w", event, atMillis: sqlite.nowMillis())
                        throw Abort()
                    }
                case let postgres as PostgresStore:
                    try await postgres.transaction { connection in
                        try await PostgresStore.appendEvents(connection, workspaceId: "w", event, atMillis: postgres.nowMillis())
                        throw Abort()
                    }
                default:
                    Issue.record("unknown store")
                }
            }
            let worker = Task { try await Self.service(store, maxAttempts: 3).run() }
            try await Task.sleep(for: .milliseconds(500))
            worker.cancel()
            #expect(await receiver.received.isEmpty)
            #expect(try await store.events(workspaceId: "w", afterSeq: 0, limit: 10).isEmpty)
            #expect(try await store.claimDeliveries(limit: 10, perEndpoint: 10, inFlight: [:], leaseMillis: 1_000).isEmpty)
        }
    }
}
