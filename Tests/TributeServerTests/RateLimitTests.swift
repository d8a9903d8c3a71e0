import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TributeCore
import TributeStore
import TributeTestSupport
@testable import TributeServer

/// The per-key rate limits of SPEC §3.3. Every app here runs on a `ManualClock` that only
/// the test moves, so no token comes back while a test is not looking.
@Suite struct RateLimitAPITests {
    /// A store on a frozen clock, an admin key without a limit, and a prepaid workspace.
    struct Fixture {
        let store: any TributeStore
        let clock: ManualClock
        let adminKey: String

        init(_ backend: Backend) async throws {
            (store, clock) = try await backend.makeStore()
            adminKey = try await store.createAPIKey(role: .admin, workspaceIds: [], name: "admin").secret
            _ = try await store.createWorkspace(WorkspaceDraft(id: "w", name: "w", planId: "prepaid", anchorDate: nil))
            _ = try await store.grantCredits(workspaceId: "w", grant: CreditGrantDraft(amount: Amount(units: 10), expiresAt: nil, note: nil))
        }

        func test(defaultLimit: RateLimit? = nil, _ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void) async throws {
            let app = buildApplication(store: store, rateLimit: defaultLimit, host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
            try await app.test(.router) { client in try await body(client) }
        }
    }

    static let debit = #"{"workspaceId":"w","actionType":"SIMPLE_LLM"}"#

    @Test(arguments: Backend.allCases)
    func aKeyGetsItsBurstThen429WithTheFourHeadersAndNothingWritten(backend: Backend) async throws {
        let fixture = try await Fixture(backend)
        let admin = fixture.adminKey
        try await fixture.test { (client: any TestClientProtocol) async throws -> Void in
            let created = try await client.send(.post, "/v1/api-keys", key: admin, body: #"{"role":"service","rateLimit":{"perSecond":1,"burst":3}}"#)
            #expect(created.status == .created)
            let object = try #require(created.json?.objectValue)
            #expect(object["rateLimit"] == .object(["perSecond": .number("1"), "burst": .number("3")]))
            let limited = try #require(object["key"]?.stringValue)

            for _ in 0..<3 {
                #expect(try await client.send(.post, "/v1/agent-actions/authorize-and-debit", key: limited, body: Self.debit).status == .ok)
            }
            let refused = try await client.send(.post, "/v1/agent-actions/authorize-and-debit", key: limited, body: Self.debit)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.errorCode == "rate_limited")
            #expect(refused.json?.objectValue?["error"]?.objectValue?["message"]?.stringValue?.isEmpty == false)
            #expect(refused.headers[.retryAfter] == "1")
            #expect(refused.headers[HTTPField.Name("RateLimit-Limit")!] == "3")
            #expect(refused.headers[HTTPField.Name("RateLimit-Remaining")!] == "0")
            #expect(refused.headers[HTTPField.Name("RateLimit-Reset")!] == "3")
            // Reads are refused the same way: every call takes a token.
            #expect(try await client.send(.get, "/v1/workspaces/w", key: limited).status == .tooManyRequests)

            // Another key is untouched.
            #expect(try await client.send(.post, "/v1/agent-actions/authorize-and-debit", key: admin, body: Self.debit).status == .ok)
        }
        // Three debits by the limited key and one by the admin key: 4 × 0.1 credits.
        #expect(try await fixture.store.workspace(id: "w").remainingBalance == Amount(micros: 9_600_000))
        #expect(try await fixture.store.decisions(workspaceId: "w", limit: 50, cursor: nil, approved: nil).items.count == 4)
    }

    @Test(arguments: Backend.allCases)
    func tokensComeBackAsTheClockMoves(backend: Backend) async throws {
        let fixture = try await Fixture(backend)
        let limited = try await fixture.store.createAPIKey(role: .viewer, workspaceIds: ["w"], name: nil, rateLimit: RateLimit(perSecond: 1, burst: 1)).secret
        let clock = fixture.clock
        try await fixture.test { (client: any TestClientProtocol) async throws -> Void in
            #expect(try await client.send(.get, "/v1/workspaces/w", key: limited).status == .ok)
            #expect(try await client.send(.get, "/v1/workspaces/w", key: limited).status == .tooManyRequests)
            clock.advance(seconds: 1)
            #expect(try await client.send(.get, "/v1/workspaces/w", key: limited).status == .ok)
            #expect(try await client.send(.get, "/v1/workspaces/w", key: limited).status == .tooManyRequests)
        }
    }

    @Test(arguments: Backend.allCases)
    func theConfiguredDefaultAppliesToKeysWithoutTheirOwn(backend: Backend) async throws {
        let fixture = try await Fixture(backend)
        let plain = try await fixture.store.createAPIKey(role: .viewer, workspaceIds: ["w"], name: nil).secret
        let generous = try await fixture.store.createAPIKey(role: .viewer, workspaceIds: ["w"], name: nil, rateLimit: RateLimit(perSecond: 1, burst: 5)).secret
        try await fixture.test(defaultLimit: RateLimit(perSecond: 1, burst: 2)) { (client: any TestClientProtocol) async throws -> Void in
            for _ in 0..<2 { #expect(try await client.send(.get, "/v1/workspaces/w", key: plain).status == .ok) }
            let refused = try await client.send(.get, "/v1/workspaces/w", key: plain)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[HTTPField.Name("RateLimit-Limit")!] == "2")
            // A key's own limit wins over the default, even when it is wider.
            for _ in 0..<5 { #expect(try await client.send(.get, "/v1/workspaces/w", key: generous).status == .ok) }
            #expect(try await client.send(.get, "/v1/workspaces/w", key: generous).status == .tooManyRequests)
        }
    }

    @Test(arguments: Backend.allCases)
    func withoutADefaultKeysWithoutTheirOwnLimitAreNotLimited(backend: Backend) async throws {
        let fixture = try await Fixture(backend)
        let admin = fixture.adminKey
        try await fixture.test { (client: any TestClientProtocol) async throws -> Void in
            for _ in 0..<50 { #expect(try await client.send(.get, "/v1/plans", key: admin).status == .ok) }
        }
    }

    @Test(arguments: Backend.allCases)
    func patchChangesAKeysLimitAndDefaultDropsIt(backend: Backend) async throws {
        let fixture = try await Fixture(backend)
        let admin = fixture.adminKey
        let (view, secret) = try await fixture.store.createAPIKey(role: .viewer, workspaceIds: ["w"], name: "dash")
        let otherViewer = try await fixture.store.createAPIKey(role: .viewer, workspaceIds: ["w"], name: nil).secret
        let clock = fixture.clock
        try await fixture.test(defaultLimit: RateLimit(perSecond: 1, burst: 4)) { (client: any TestClientProtocol) async throws -> Void in
            let patched = try await client.send(.patch, "/v1/api-keys/\(view.id)", key: admin, body: #"{"rateLimit":{"perSecond":1,"burst":1},"name":"slow"}"#)
            #expect(patched.status == .ok)
            let object = try #require(patched.json?.objectValue)
            #expect(object["rateLimit"] == .object(["perSecond": .number("1"), "burst": .number("1")]))
            #expect(object["name"] == .string("slow"))
            #expect(object["key"] == nil)
            #expect(try await client.send(.get, "/v1/workspaces/w", key: secret).status == .ok)
            #expect(try await client.send(.get, "/v1/workspaces/w", key: secret).status == .tooManyRequests)

            // Back to the default (burst 4): the bucket keeps its emptiness, the limit grows.
            let reset = try await client.send(.patch, "/v1/api-keys/\(view.id)", key: admin, body: #"{"rateLimit":"default"}"#)
            #expect(reset.status == .ok)
            #expect(reset.json?.objectValue?["rateLimit"] == .null)
            let listed = try await client.send(.get, "/v1/api-keys", key: admin)
            #expect(listed.text.contains(#""name":"slow""#))
            #expect(try await client.send(.get, "/v1/workspaces/w", key: secret).status == .tooManyRequests)
            clock.advance(seconds: 10)
            for _ in 0..<4 { #expect(try await client.send(.get, "/v1/workspaces/w", key: secret).status == .ok) }
            let refused = try await client.send(.get, "/v1/workspaces/w", key: secret)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[HTTPField.Name("RateLimit-Limit")!] == "4")

            #expect(try await client.send(.patch, "/v1/api-keys/key_nope", key: admin, body: #"{"name":"x"}"#).status == .notFound)
            #expect(try await client.send(.patch, "/v1/api-keys/\(view.id)", key: otherViewer, body: #"{"name":"x"}"#).status == .forbidden)
        }
    }

    @Test(arguments: [
        // (body member, status)
        (#"{"perSecond":0,"burst":1}"#, 422), (#"{"perSecond":1,"burst":0}"#, 422), (#"{"perSecond":-1,"burst":3}"#, 422),
        (#"{"perSecond":1.5,"burst":3}"#, 422), (#"{"perSecond":1,"burst":2.25}"#, 422), (#"{"perSecond":1000001,"burst":3}"#, 422),
        (#"{"perSecond":99999999999999999999999,"burst":3}"#, 422), (#"{"perSecond":1e400,"burst":3}"#, 422),
        (#"{"perSecond":9223372036854775808,"burst":3}"#, 422), (#"{"perSecond":1,"burst":1e-9}"#, 422),
        (#"{"perSecond":"5","burst":3}"#, 400), (#"{"perSecond":true,"burst":3}"#, 400), (#"{"perSecond":null,"burst":3}"#, 400),
        (#"{"perSecond":5}"#, 400), (#"{"burst":5}"#, 400), (#"{}"#, 400), (#"{"perSecond":1,"burst":1,"window":60}"#, 400),
        (#""fast""#, 400), (#"5"#, 400), (#"[1,3]"#, 400), (#"null"#, 400), (#"true"#, 400),
    ])
    func badRateLimitsAreRefusedWithTheErrorBody(member: String, status: Int) async throws {
        let fixture = try await Fixture(.sqlite)
        let admin = fixture.adminKey
        let target = try await fixture.store.createAPIKey(role: .viewer, workspaceIds: ["w"], name: "target").0
        let keysBefore = try await fixture.store.apiKeys()
        try await fixture.test { (client: any TestClientProtocol) async throws -> Void in
            for (method, path) in [(HTTPRequest.Method.post, "/v1/api-keys"), (.patch, "/v1/api-keys/\(target.id)")] {
                let body = method == .post ? #"{"role":"service","rateLimit":\#(member)}"# : #"{"rateLimit":\#(member)}"#
                let response = try await client.send(method, path, key: admin, body: body)
                #expect(response.status.code == status, "\(method) \(member)")
                let error = response.json?.objectValue?["error"]?.objectValue
                #expect(error?["code"]?.stringValue == (status == 400 ? "malformed_request" : "invalid_value"), "\(method) \(member)")
                #expect(error?["message"]?.stringValue?.hasPrefix("rateLimit") == true, "\(method) \(member)")
            }
        }
        #expect(try await fixture.store.apiKeys() == keysBefore)
    }

    @Test func theDashboardKeyFormTakesARateLimitByTheSameRules() async throws {
        #expect(try RateLimit.form(perSecond: "", burst: nil) == nil)
        #expect(try RateLimit.form(perSecond: " 5 ", burst: "10") == RateLimit(perSecond: 5, burst: 10))
        for (perSecond, burst) in [("0", "1"), ("1", ""), ("", "3"), ("1.5", "3"), ("-1", "3"), ("1000001", "1"), ("5", "x"), ("99999999999999999999", "1")] {
            #expect(throws: APIError.self, "\(perSecond):\(burst)") { try RateLimit.form(perSecond: perSecond, burst: burst) }
        }
    }

    @Test func theLimiterHoldsAtMostItsSizeDroppingFullBucketsFirst() throws {
        let clock = ManualClock(millis: 0)
        let limiter = RateLimiter(defaultLimit: RateLimit(perSecond: 1, burst: 2), maxBuckets: 8, nowMillis: { clock.nowMillis() })
        // The busy key empties its bucket.
        let busy = Principal(keyId: "key_busy", role: .service, workspaceIds: [])
        try limiter.take(busy)
        try limiter.take(busy)
        #expect(throws: APIError.self) { try limiter.take(busy) }
        // 1,000 other keys call once each, a millisecond apart: never more than 8 buckets.
        for index in 0..<1_000 {
            clock.set(millis: Int64(index))
            try limiter.take(Principal(keyId: "key_\(index)", role: .viewer, workspaceIds: ["w"]))
            #expect(limiter.bucketCount <= 8)
        }
        // Unlimited keys hold no bucket at all.
        let unlimited = RateLimiter(defaultLimit: nil, maxBuckets: 8, nowMillis: { clock.nowMillis() })
        for index in 0..<100 { #expect(try unlimited.take(Principal(keyId: "key_\(index)", role: .admin, workspaceIds: [])) == nil) }
        #expect(unlimited.bucketCount == 0)
    }

    @Test func aFullSweepKeepsTheBucketsThatAreStillEmptying() throws {
        let clock = ManualClock(millis: 0)
        let limiter = RateLimiter(defaultLimit: RateLimit(perSecond: 1, burst: 1), maxBuckets: 4, nowMillis: { clock.nowMillis() })
        let busy = Principal(keyId: "key_busy", role: .service, workspaceIds: [])
        // Four keys fill the limiter, each bucket emptied at 0.
        try limiter.take(busy)
        for index in 0..<3 { try limiter.take(busy.withKeyId("key_\(index)")) }
        // The busy key tries again at 0.4 s, and is refused.
        clock.set(millis: 400)
        #expect(throws: APIError.self) { try limiter.take(busy) }
        // At 0.5 s no bucket is full yet when a new key comes: the longest idle go, and the
        // busy key's, used last, stays as empty as it was.
        clock.set(millis: 500)
        try limiter.take(busy.withKeyId("key_new"))
        #expect(limiter.bucketCount <= 4)
        #expect(throws: APIError.self) { try limiter.take(busy) }
    }
}

extension Principal {
    fileprivate func withKeyId(_ keyId: String) -> Principal {
        Principal(keyId: keyId, role: role, workspaceIds: workspaceIds, rateLimit: rateLimit)
    }
}
