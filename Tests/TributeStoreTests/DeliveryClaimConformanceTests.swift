import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// How the webhook worker claims deliveries, on every backend: earliest due first, and no
/// endpoint more than its share of the places, so that one endpoint's backlog (or stuck
/// attempts) leaves the others' deliveries room to go out.
@Suite struct DeliveryClaimConformanceTests {
    /// A paid purchase in `w`: one `credits.purchased` event, queued for every endpoint.
    static func queueEvent(_ store: any TributeStore) async throws {
        let purchase = try await PaymentConformanceTests.pending(store, intent: "pi_claim_\(Identifier.randomBase62(count: 8))")
        _ = try await store.applyPayment(PaymentConformanceTests.paid(purchase))
    }

    @Test(arguments: Backend.allCases)
    func aClaimTakesNoMoreFromOneEndpointThanItsShare(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w")
        let busy = try await store.createWebhookEndpoint(url: "http://127.0.0.1:9/busy", eventTypes: [], description: nil).0.id
        for _ in 0..<5 { try await Self.queueEvent(store) }
        let quiet = try await store.createWebhookEndpoint(url: "http://127.0.0.1:9/quiet", eventTypes: [], description: nil).0.id
        try await Self.queueEvent(store)
        // Due now: six for `busy`, then one for `quiet`, the newest of all.

        let first = try await store.claimDeliveries(limit: 3, perEndpoint: 2, inFlight: [:], leaseMillis: 60_000)
        #expect(first.map(\.endpointId) == [busy, busy, quiet])
        #expect(first.allSatisfy { $0.attempt == 1 })
        // One still in flight to `busy`: one more of its own at most, whatever the limit.
        let second = try await store.claimDeliveries(limit: 10, perEndpoint: 2, inFlight: [busy: 1, quiet: 1], leaseMillis: 60_000)
        #expect(second.map(\.endpointId) == [busy])
        // At its share: nothing, though three of its deliveries are due.
        #expect(try await store.claimDeliveries(limit: 10, perEndpoint: 2, inFlight: [busy: 2], leaseMillis: 60_000).isEmpty)
        // Leased deliveries are not claimed again; the rest go, oldest first.
        let rest = try await store.claimDeliveries(limit: 10, perEndpoint: 10, inFlight: [:], leaseMillis: 60_000)
        #expect(rest.map(\.endpointId) == [busy, busy, busy])
        let all = first + second + rest
        #expect(Set(all.map(\.seq)).count == 7 && all.filter { $0.endpointId == busy }.map(\.seq) == all.filter { $0.endpointId == busy }.map(\.seq).sorted())
        #expect(try await store.claimDeliveries(limit: 10, perEndpoint: 10, inFlight: [:], leaseMillis: 60_000).isEmpty)
    }

    /// A deleted endpoint's deliveries are never claimed, and a limit of zero claims nothing.
    @Test(arguments: Backend.allCases)
    func nothingIsClaimedForADeletedEndpointOrNoPlace(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w")
        let gone = try await store.createWebhookEndpoint(url: "http://127.0.0.1:9/gone", eventTypes: [], description: nil).0.id
        try await Self.queueEvent(store)
        #expect(try await store.claimDeliveries(limit: 0, perEndpoint: 4, inFlight: [:], leaseMillis: 60_000).isEmpty)
        try await store.deleteWebhookEndpoint(id: gone)
        #expect(try await store.claimDeliveries(limit: 10, perEndpoint: 4, inFlight: [:], leaseMillis: 60_000).isEmpty)
    }
}
