import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import TributeCore
@testable import TributeServer
import TributeStore
import TributeTestSupport

/// Dashboard sign-ins are writes (a session row each), so they are rate limited: a key's
/// sign-ins take from its own bucket, and failed ones from the client address's.
@Suite struct SignInLimitTests {
    static func bad(_ client: any TestClientProtocol) async throws -> TestResponse {
        try await DashboardTests.signInResponse(client, "trb_not_a_key_\(Identifier.randomBase62(count: 12))")
    }

    /// A key limited to a burst of 3 signs in three times; the other sign-ins are `429`
    /// with the API's rate-limit fields, and write no session. The API then finds the same
    /// bucket empty. (Before, each of 19,224 sign-ins in 8 s wrote a session.)
    @Test(arguments: Backend.allCases)
    func aKeysSignInsTakeFromItsRateLimit(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        let limited = try await fixture.store.createAPIKey(role: .admin, workspaceIds: [], name: nil, rateLimit: RateLimit(perSecond: 1, burst: 3))
        let responses = try await fixture.test { client in
            var responses: [TestResponse] = []
            for _ in 0..<20 { responses.append(try await DashboardTests.signInResponse(client, limited.secret)) }
            #expect(try await client.send(.get, "/v1/api-keys", key: limited.secret).status == .tooManyRequests)
            return responses
        }
        #expect(responses.map(\.status.code).filter { $0 == 303 }.count == 3)
        let refused = responses.filter { $0.status == .tooManyRequests }
        #expect(refused.count == 17)
        for response in refused {
            #expect(response.headers[.retryAfter] == "1" && response.headers[HTTPField.Name("RateLimit-Limit")!] == "3")
            #expect(response.headers[.contentType]?.hasPrefix("text/html") == true && response.headers[.setCookie] == nil)
            #expect(DashboardTests.text(response).contains("This key has signed in more often than its rate limit allows. Try again in 1 s."))
        }
        #expect(try await fixture.store.dashboardSessions(keyId: limited.0.id).count == 3)
    }

    /// Ten sign-ins with keys that do not verify, from one address, are each `401`; the
    /// eleventh is `429`, and so is then a valid key from that address: it is not even
    /// looked up, and no session is written. Over a real connection from 127.0.0.1.
    @Test func failedSignInsAreLimitedPerAddress() async throws {
        let fixture = try await APIFixture(.sqlite)
        let adminKeyId = try #require(try await fixture.store.principal(secret: fixture.adminKey)).keyId
        let app = buildApplication(store: fixture.store, host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        try await app.test(.live) { client in
            let burst = Int(DashboardSession.failedSignInLimit.burst)
            for attempt in 1...burst {
                let response = try await Self.bad(client)
                #expect(response.status == .unauthorized, "attempt \(attempt)")
            }
            let past = try await Self.bad(client)
            #expect(past.status == .tooManyRequests && past.headers[.retryAfter] == "1")
            #expect(DashboardTests.text(past).contains("Too many sign-ins with keys that are not valid came from your address"))
            let valid = try await DashboardTests.signInResponse(client, fixture.adminKey)
            #expect(valid.status == .tooManyRequests && valid.headers[.setCookie] == nil)
        }
        #expect(try await fixture.store.dashboardSessions(keyId: adminKeyId).isEmpty)
    }

    /// Each address has its own bucket; an IPv6 `/64` is one address, and an IPv4-mapped
    /// IPv6 peer is its IPv4 address. A look (`peek`) takes nothing.
    @Test func addressesHaveTheirOwnBuckets() throws {
        let clock = ManualClock(millis: 1_000_000)
        let limiter = AddressRateLimiter(limit: try #require(RateLimit(perSecond: 1, burst: 2)), nowMillis: { clock.nowMillis() })
        let one = ClientAddress(try #require(IPAddress(dottedDecimal: "192.0.2.1")))
        #expect(limiter.peek(one).allowed && limiter.peek(one).allowed)
        #expect(limiter.take(one).allowed && limiter.take(one).allowed)
        #expect(!limiter.take(one).allowed && !limiter.peek(one).allowed)
        #expect(!limiter.take(ClientAddress(try #require(IPAddress(ipv6: "::ffff:192.0.2.1")))).allowed)
        #expect(limiter.take(ClientAddress(try #require(IPAddress(dottedDecimal: "192.0.2.2")))).allowed)
        clock.advance(seconds: 1)
        #expect(limiter.take(one).allowed && !limiter.take(one).allowed)

        let host = ClientAddress(try #require(IPAddress(ipv6: "2001:db8:1:2::1")))
        #expect(host == ClientAddress(try #require(IPAddress(ipv6: "2001:db8:1:2:ffff:ffff:ffff:ffff"))))
        #expect(host != ClientAddress(try #require(IPAddress(ipv6: "2001:db8:1:3::1"))))
        #expect(host.description == "2001:db8:1:2:0:0:0:0/64")
        #expect(ClientAddress(peer: try SocketAddress(ipAddress: "::ffff:10.1.2.3", port: 443)) == ClientAddress(try #require(IPAddress(dottedDecimal: "10.1.2.3"))))
        #expect(ClientAddress(peer: nil) == .unknown)
    }

    /// However many addresses call, the limiter holds at most `maxAddresses` buckets.
    @Test func theBucketsAreBounded() throws {
        let clock = ManualClock(millis: 1_000_000)
        let limiter = AddressRateLimiter(limit: try #require(RateLimit(perSecond: 1, burst: 2)), maxAddresses: 8, nowMillis: { clock.nowMillis() })
        for value in UInt32(0)..<1_000 {
            limiter.take(ClientAddress(.v4(0xC000_0200 + value)))
            #expect(limiter.bucketCount <= 8)
        }
    }
}
