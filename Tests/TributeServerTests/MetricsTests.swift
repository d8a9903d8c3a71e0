import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TributeCore
import TributeStore
import TributeTestSupport
@testable import TributeServer

/// `GET /metrics` (SPEC §3.4, docs/operations.md) on every backend: requests by route
/// pattern and status with their latency, decisions by reason counted once, the gauges read
/// at the scrape, group-commit batches, webhook deliveries by result, and the token.
@Suite struct MetricsTests {
    static let call = #"{"workspaceId":"w","actionType":"SIMPLE_LLM","userId":"ada"}"#

    @Test(arguments: Backend.allCases)
    func requestsAreCountedByTheirRoutePatternNeverTheirPath(backend: Backend) async throws {
        let fixture = try await MonitoringFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        try await fixture.workspace("acme-7", credits: Amount(units: 10))
        let admin = fixture.adminKey
        let scrape = try await fixture.test { client in
            #expect(try await client.send(.get, "/v1/workspaces/w", key: admin).status == .ok)
            #expect(try await client.send(.get, "/v1/workspaces/acme-7?x=1", key: admin).status == .ok)
            #expect(try await client.send(.get, "/v1/workspaces/nobody", key: admin).status == .notFound)
            #expect(try await client.send(.get, "/v1/no-such-route/123", key: admin).status == .notFound)
            #expect(try await client.send(.put, "/v1/plans", key: admin).status == .methodNotAllowed)
            #expect(try await client.send(HTTPRequest.Method("PURGE")!, "/v1/plans", key: nil).status == .notFound)
            return try await client.scrape()
        }
        let requests = TributeMetrics.Name.requests
        #expect(scrape.value(requests, ["method": "GET", "route": "/v1/workspaces/{id}", "status": "200"]) == 2)
        #expect(scrape.value(requests, ["method": "GET", "route": "/v1/workspaces/{id}", "status": "404"]) == 1)
        #expect(scrape.value(requests, ["method": "GET", "route": "unmatched", "status": "404"]) == 1)
        #expect(scrape.value(requests, ["method": "OTHER", "route": "unmatched", "status": "404"]) == 1)
        #expect(scrape.value(requests, ["method": "PUT", "route": "/v1/plans", "status": "405"]) == 1)
        // No id, query or unknown path ever becomes a label.
        for route in scrape.labelValues(requests, "route") {
            #expect(route == "unmatched" || route.hasPrefix("/"), "route \(route)")
            #expect(!route.contains("acme") && !route.contains("nobody") && !route.contains("123") && !route.contains("?"), "route \(route)")
        }
        let seconds = TributeMetrics.Name.requestSeconds
        let labels = ["method": "GET", "route": "/v1/workspaces/{id}"]
        #expect(scrape.value(seconds + "_count", labels) == 3)
        #expect(scrape.value(seconds + "_bucket", labels.merging(["le": "+Inf"]) { $1 }) == 3)
        #expect(scrape.value(seconds + "_bucket", labels.merging(["le": "0.0001"]) { $1 }) != nil)
        #expect(scrape.value(seconds + "_bucket", labels.merging(["le": "10.0"]) { $1 }) == 3)
        #expect((scrape.value(seconds + "_sum", labels) ?? 0) > 0)
    }

    @Test(arguments: Backend.allCases)
    func decisionsAreCountedByReasonAndAReplayOnlyOnce(backend: Backend) async throws {
        let fixture = try await MonitoringFixture(backend)
        // 0.3 credit: three SIMPLE_LLM calls (0.1 each), or one held and committed and two calls.
        try await fixture.workspace("w", credits: Amount(micros: 300_000))
        let admin = fixture.adminKey
        let scrape = try await fixture.test { client in
            let replayKey = [("Idempotency-Key", "once")]
            #expect(try await client.send(.post, "/v1/agent-actions/authorize-and-debit", key: admin, body: Self.call, headers: replayKey).json?.objectValue?["success"] == .bool(true))
            let replay = try await client.send(.post, "/v1/agent-actions/authorize-and-debit", key: admin, body: Self.call, headers: replayKey)
            #expect(replay.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            let hold = try await client.send(.post, "/v1/holds", key: admin, body: Self.call)
            let holdId = try #require(hold.json?.objectValue?["holdId"]?.stringValue)
            #expect(try await client.send(.post, "/v1/holds/\(holdId)/commit", key: admin).status == .ok)
            #expect(try await client.send(.post, "/v1/agent-actions/authorize-and-debit", key: admin, body: Self.call).status == .ok)
            // Nothing left: denied, as a call and as a hold.
            let denied = try await client.send(.post, "/v1/agent-actions/authorize-and-debit", key: admin, body: Self.call)
            #expect(denied.json?.objectValue?["reason"] == .string("INSUFFICIENT_BALANCE"))
            let deniedHold = try await client.send(.post, "/v1/holds", key: admin, body: Self.call)
            #expect(deniedHold.json?.objectValue?["reason"] == .string("INSUFFICIENT_BALANCE"))
            return try await client.scrape()
        }
        let decisions = TributeMetrics.Name.decisions
        // The first call, the hold, its commit and the third call; not the replay.
        #expect(scrape.value(decisions, ["reason": "APPROVED"]) == 4)
        #expect(scrape.value(decisions, ["reason": "INSUFFICIENT_BALANCE"]) == 2)
        // Every reason a call can have is exported from the start, so that alerts see zeros.
        for reason in ["BUDGET_EXCEEDED", "PLAN_LIMIT_REACHED", "WORKSPACE_SUSPENDED"] {
            #expect(scrape.value(decisions, ["reason": reason]) == 0, "\(reason)")
        }
    }

    @Test(arguments: Backend.allCases)
    func openHoldsAndTheDatabaseAreReadAtTheScrape(backend: Backend) async throws {
        let fixture = try await MonitoringFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let admin = fixture.adminKey
        let clock = fixture.clock
        try await fixture.test { client in
            let before = try await client.scrape()
            #expect(before.value(TributeMetrics.Name.holdsOpen) == 0)
            #expect(before.value(TributeMetrics.Name.databaseUp) == 1)
            var holdIds: [String] = []
            for _ in 0..<3 {
                let hold = try await client.send(.post, "/v1/holds", key: admin, body: #"{"workspaceId":"w","actionType":"SIMPLE_LLM","ttlSeconds":60}"#)
                holdIds.append(try #require(hold.json?.objectValue?["holdId"]?.stringValue))
            }
            // The database is read at most once a second, however often /metrics is called.
            #expect(try await client.scrape().value(TributeMetrics.Name.holdsOpen) == 0)
            clock.advance(seconds: 1)
            #expect(try await client.scrape().value(TributeMetrics.Name.holdsOpen) == 3)
            #expect(try await client.send(.post, "/v1/holds/\(holdIds[0])/release", key: admin).status == .ok)
            clock.advance(seconds: 1)
            #expect(try await client.scrape().value(TributeMetrics.Name.holdsOpen) == 2)
            // A hold past its expiry is no longer open, swept or not.
            clock.advance(seconds: 61)
            #expect(try await client.scrape().value(TributeMetrics.Name.holdsOpen) == 0)
        }
    }

    @Test(arguments: Backend.allCases)
    func batchesAreReportedBySizeAndCommitTime(backend kind: Backend) async throws {
        let fixture = try await MonitoringFixture(kind)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let admin = fixture.adminKey
        let scrape = try await fixture.test { client in
            for _ in 0..<3 { _ = try await client.send(.post, "/v1/agent-actions/authorize-and-debit", key: admin, body: Self.call) }
            return try await client.scrape()
        }
        let backend = ["backend": kind == .sqlite ? "sqlite" : "postgres"]
        // At least the three calls' batches, since the application was built.
        let batches = try #require(scrape.value(TributeMetrics.Name.batchSize + "_count", backend))
        #expect(batches >= 3)
        #expect((scrape.value(TributeMetrics.Name.batchSize + "_sum", backend) ?? 0) >= batches)
        #expect(scrape.value(TributeMetrics.Name.batchSize + "_bucket", backend.merging(["le": "+Inf"]) { $1 }) == batches)
        #expect(scrape.value(TributeMetrics.Name.batchCommitSeconds + "_count", backend) == batches)
        #expect((scrape.value(TributeMetrics.Name.batchCommitSeconds + "_sum", backend) ?? 0) > 0)
    }

    @Test func webhookDeliveriesAreCountedByResult() async throws {
        let receiver = Receiver(failures: 1)
        try await receiver.serve { url in
            let clock = ManualClock(millis: Identifier.currentMillis())
            let (store, _, endpointId) = try await WebhookDeliveryTests.storeWithEvent(.sqlite, url: url, clock: clock)
            let metrics = TributeMetrics()
            let app = buildApplication(store: store, host: "127.0.0.1", port: 0, logger: Logger(label: "test"), metrics: metrics)
            try await app.test(.router) { client in
                let fresh = try await client.scrape()
                for result in ["delivered", "failed_attempt", "gave_up"] {
                    #expect(fresh.value(TributeMetrics.Name.webhookDeliveries, ["result": result]) == 0, "\(result)")
                }
                let service = WebhookDeliveryService(store: store, policy: RetryPolicy(baseDelayMillis: 1_000, maxDelayMillis: 60_000, maxAttempts: 2),
                                                     pollMillis: 20, webhookURLs: .anyAddress, logger: Logger(label: "test"), metrics: metrics)
                let worker = Task { try await service.run() }
                defer { worker.cancel() }
                #expect(try await WebhookDeliveryTests.recorded(store, endpointId, attempts: 1, clock: clock))
                clock.advance(seconds: 1)
                #expect(try await WebhookDeliveryTests.eventually {
                    try await store.webhookDeliveries(endpointId: endpointId, limit: 1, cursor: nil).items.first?.status == .delivered
                })
                let scrape = try await client.scrape()
                #expect(scrape.value(TributeMetrics.Name.webhookDeliveries, ["result": "failed_attempt"]) == 1)
                #expect(scrape.value(TributeMetrics.Name.webhookDeliveries, ["result": "delivered"]) == 1)
                #expect(scrape.value(TributeMetrics.Name.webhookDeliveries, ["result": "gave_up"]) == 0)
            }
        }
    }

    @Test func aDeliveryOutOfAttemptsIsCountedAsGivenUp() async throws {
        let receiver = Receiver(failures: 100)
        try await receiver.serve { url in
            let clock = ManualClock(millis: Identifier.currentMillis())
            let (store, _, endpointId) = try await WebhookDeliveryTests.storeWithEvent(.sqlite, url: url, clock: clock)
            let metrics = TributeMetrics()
            let service = WebhookDeliveryService(store: store, policy: RetryPolicy(baseDelayMillis: 1_000, maxDelayMillis: 60_000, maxAttempts: 1),
                                                 pollMillis: 20, webhookURLs: .anyAddress, logger: Logger(label: "test"), metrics: metrics)
            let worker = Task { try await service.run() }
            defer { worker.cancel() }
            #expect(try await WebhookDeliveryTests.eventually {
                try await store.webhookDeliveries(endpointId: endpointId, limit: 1, cursor: nil).items.first?.status == .failed
            })
            let scrape = try Scrape(metrics.registry.emitToString())
            #expect(scrape.value(TributeMetrics.Name.webhookDeliveries, ["result": "gave_up"]) == 1)
            #expect(scrape.value(TributeMetrics.Name.webhookDeliveries, ["result": "failed_attempt"]) == 0)
        }
    }

    @Test func withATokenOnlyItsBearerReadsTheMetrics() async throws {
        let fixture = try await MonitoringFixture(.sqlite)
        let admin = fixture.adminKey
        try await fixture.test(monitoring: MonitoringSettings(metricsToken: "s3cret-token")) { client in
            for key in [nil, "wrong", "s3cret-toke", "s3cret-token-", admin] as [String?] {
                let refused = try await client.send(.get, "/metrics", key: key)
                #expect(refused.status == .unauthorized, "\(key ?? "no key")")
                #expect(refused.errorCode == "unauthenticated")
                #expect(refused.headers[.wwwAuthenticate] == "Bearer")
                #expect(!refused.text.contains("tribute_"))
            }
            let read = try await client.send(.get, "/metrics", key: "s3cret-token")
            #expect(read.status == .ok)
            #expect(read.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(try Scrape(read.text).value(TributeMetrics.Name.databaseUp) == 1)
        }
    }

    @Test func withoutATokenTheMetricsAreOpen() async throws {
        let fixture = try await MonitoringFixture(.sqlite)
        try await fixture.test { client in
            let read = try await client.send(.get, "/metrics", key: nil)
            #expect(read.status == .ok)
            // The scrape itself is counted, under its own route.
            let again = try await client.scrape()
            #expect(again.value(TributeMetrics.Name.requests, ["method": "GET", "route": "/metrics", "status": "200"]) == 1)
        }
    }

    @Test func anEmptyTokenLeavesTheMetricsOpen() {
        #expect(MonitoringSettings(metricsToken: "").metricsToken == nil)
    }
}
