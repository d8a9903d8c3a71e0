import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TributeCore
@testable import TributeServer
import TributeStore
import TributeTestSupport

/// Requests without a valid key are limited per client address
/// (`TRIBUTE_UNAUTHENTICATED_RATE_LIMIT`): past the limit they are `429 rate_limited` with
/// `Retry-After`, while valid keys from the same address go on as before. The server runs
/// live, so that requests come from 127.0.0.1; its clock is the store's, moved by hand.
@Suite struct UnauthenticatedLimitTests {
    static let limit = RateLimit(perSecond: 1, burst: 3)!

    @Test func pastItsLimitAnAddressWithoutAValidKeyIs429AndAValidKeyStillPasses() async throws {
        let (store, clock) = try await Backend.sqlite.makeStore()
        let admin = try await store.createAPIKey(role: .admin, workspaceIds: [], name: "admin").secret
        let app = buildApplication(store: store, host: "127.0.0.1", port: 0, logger: Logger(label: "test"), unauthenticatedRateLimit: Self.limit)
        try await app.test(.live) { client in
            for key in [nil, "tribute_not_a_key", nil] {
                let answer = try await client.send(.get, "/v1/plans", key: key)
                #expect(answer.status == .unauthorized && answer.errorCode == "unauthenticated")
            }
            for key in [nil, "tribute_not_a_key"] {
                let limited = try await client.send(.get, "/v1/plans", key: key)
                #expect(limited.status == .tooManyRequests && limited.errorCode == "rate_limited", "\(limited.status)")
                #expect(limited.headers[.retryAfter] == "1")
                #expect(limited.headers[HTTPField.Name("RateLimit-Limit")!] == "3" && limited.headers[HTTPField.Name("RateLimit-Remaining")!] == "0")
            }
            // A valid key is never refused for its address: it takes from its own bucket.
            #expect(try await client.send(.get, "/v1/plans", key: admin).status == .ok)
            // Open routes take nothing, and a dashboard page without a session still sends
            // its visitor to sign in.
            #expect(try await client.send(.get, "/healthz", key: nil).status == .ok)
            let page = try await client.send(.get, "/", key: nil)
            #expect(page.status != .tooManyRequests && page.headers[.location] == "/sign-in", "\(page.status)")
            // A second later, one more token.
            clock.advance(seconds: 1)
            #expect(try await client.send(.get, "/v1/plans", key: nil).status == .unauthorized)
            #expect(try await client.send(.get, "/v1/plans", key: nil).status == .tooManyRequests)
        }
    }

    @Test func withoutALimitEveryRequestWithoutAKeyIs401() async throws {
        let (store, _) = try await Backend.sqlite.makeStore()
        let app = buildApplication(store: store, host: "127.0.0.1", port: 0, logger: Logger(label: "test"), unauthenticatedRateLimit: nil)
        try await app.test(.live) { client in
            for _ in 0..<10 {
                let answer = try await client.send(.get, "/v1/plans", key: nil)
                #expect(answer.status == .unauthorized)
            }
        }
    }

    /// A peer without an IP address (a test's in-process channel) is not counted: Tribute
    /// listens on TCP only, so this is never a real client.
    @Test func aPeerWithoutAnAddressIsNotCounted() async throws {
        let (store, _) = try await Backend.sqlite.makeStore()
        let app = buildApplication(store: store, host: "127.0.0.1", port: 0, logger: Logger(label: "test"), unauthenticatedRateLimit: Self.limit)
        try await app.test(.router) { client in
            for _ in 0..<10 {
                let answer = try await client.send(.get, "/v1/plans", key: nil)
                #expect(answer.status == .unauthorized)
            }
        }
    }

    @Test func theDefaultIsTwentyASecondWithBurstsOfForty() {
        #expect(RateLimit.unauthenticatedStandard.configuration == "20:40")
    }
}
