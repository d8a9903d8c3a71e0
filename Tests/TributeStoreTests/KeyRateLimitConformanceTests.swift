import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// A key's own rate limit, stored the same way by every backend (part of the conformance
/// suite; the suite's name holds `RateLimit` so that `--filter RateLimit` runs it).
@Suite struct RateLimitStoreConformanceTests {
    @Test(arguments: Backend.allCases)
    func aKeyKeepsTheRateLimitItWasCreatedWith(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        let limit = try #require(RateLimit(perSecond: 5, burst: 20))
        let (limited, limitedSecret) = try await store.createAPIKey(role: .admin, workspaceIds: [], name: "limited", rateLimit: limit)
        let (plain, plainSecret) = try await store.createAPIKey(role: .admin, workspaceIds: [], name: "plain")
        #expect(limited.rateLimit == limit)
        #expect(plain.rateLimit == nil)
        let listed = Dictionary(uniqueKeysWithValues: try await store.apiKeys().map { ($0.id, $0) })
        #expect(listed[limited.id] == limited)
        #expect(listed[plain.id] == plain)
        #expect(try await store.principal(secret: limitedSecret)?.rateLimit == limit)
        #expect(try await store.principal(secret: plainSecret)?.rateLimit == nil)
    }

    @Test(arguments: Backend.allCases)
    func anUpdateChangesTheLimitAndNameAndTheNextVerificationSeesIt(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        let (key, secret) = try await store.createAPIKey(role: .service, workspaceIds: [], name: "bot")
        // Verified once, so that it sits in the store's cache of verified keys.
        #expect(try await store.principal(secret: secret)?.rateLimit == nil)
        let limit = try #require(RateLimit(perSecond: 1, burst: 3))
        let limited = try await store.updateAPIKey(id: key.id, patch: APIKeyPatch(rateLimit: .set(limit)))
        #expect(limited.rateLimit == limit && limited.name == "bot" && limited.role == .service && limited.prefix == key.prefix)
        #expect(try await store.principal(secret: secret)?.rateLimit == limit)

        let renamed = try await store.updateAPIKey(id: key.id, patch: APIKeyPatch(name: "robot"))
        #expect(renamed.name == "robot" && renamed.rateLimit == limit)
        let back = try await store.updateAPIKey(id: key.id, patch: APIKeyPatch(rateLimit: .useDefault))
        #expect(back.rateLimit == nil && back.name == "robot")
        #expect(try await store.principal(secret: secret)?.rateLimit == nil)
        #expect(try await store.apiKeys().first { $0.id == key.id } == back)
    }

    @Test(arguments: Backend.allCases)
    func updatingAnUnknownOrRevokedKeyIsNotFound(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        let (key, _) = try await store.createAPIKey(role: .admin, workspaceIds: [], name: nil)
        try await store.revokeAPIKey(id: key.id)
        let limit = try #require(RateLimit(perSecond: 1, burst: 1))
        await #expect(throws: TributeError.apiKeyNotFound(key.id)) {
            try await store.updateAPIKey(id: key.id, patch: APIKeyPatch(rateLimit: .set(limit)))
        }
        await #expect(throws: TributeError.apiKeyNotFound("key_nope")) {
            try await store.updateAPIKey(id: "key_nope", patch: APIKeyPatch(name: "x"))
        }
    }

    @Test(arguments: Backend.allCases)
    func theSchemaRefusesRateLimitsNoRequestCouldSet(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        let (key, _) = try await store.createAPIKey(role: .admin, workspaceIds: [], name: nil)
        var statements = [
            "rate_limit_per_second = 0, rate_limit_burst = 1", "rate_limit_per_second = 1, rate_limit_burst = 0",
            "rate_limit_per_second = -5, rate_limit_burst = 5", "rate_limit_per_second = 1000001, rate_limit_burst = 1",
            "rate_limit_per_second = 5", "rate_limit_burst = 5",
        ]
        if backend == .sqlite { statements += ["rate_limit_per_second = 1.5, rate_limit_burst = 2"] }
        for assignment in statements {
            let sql = "UPDATE api_keys SET \(assignment) WHERE id = '\(key.id)'"
            await #expect(throws: (any Error).self, "\(assignment)") {
                switch store {
                case let sqlite as SQLiteStore: try await sqlite.executeUnchecked(sql: sql)
                case let postgres as PostgresStore: try await postgres.executeUnchecked(sql: sql)
                default: Issue.record("a backend without raw SQL")
                }
            }
        }
        #expect(try await store.apiKeys().first { $0.id == key.id }?.rateLimit == nil)
    }
}
