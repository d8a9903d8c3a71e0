import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// Dashboard sessions on every backend: stored hashed, ended by sign-out, expiry and
/// revocation, bounded per key, and swept.
@Suite struct DashboardSessionConformanceTests {
    @Test(arguments: Backend.allCases)
    func aSessionIsStoredOnlyAsTheHashOfItsSecretAndActsForItsKey(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        try await store.makeWorkspace("w")
        let (key, keySecret) = try await store.createAPIKey(role: .viewer, workspaceIds: ["w"], name: nil)
        let secret = try await store.createDashboardSession(keyId: key.id)
        #expect(DashboardSessionPolicy.isWellFormed(secret) && secret != keySecret && !secret.contains(keySecret))
        let sessions = try await store.dashboardSessions(keyId: key.id)
        #expect(sessions == [DashboardSessionRecord(secretHash: Hex.sha256(secret), keyId: key.id, createdAtMillis: clock.nowMillis(),
                                                    expiresAtMillis: clock.nowMillis() + DashboardSessionPolicy.lifetimeMillis)])
        #expect(try await store.dashboardPrincipal(sessionSecret: secret) == Principal(keyId: key.id, role: .viewer, workspaceIds: ["w"]))
        // Neither the hash, nor the key, nor a well-formed stranger opens anything.
        for other in [sessions[0].secretHash, keySecret, DashboardSessionPolicy.secretPrefix + String(repeating: "A", count: DashboardSessionPolicy.secretRandomCharacters), ""] {
            #expect(try await store.dashboardPrincipal(sessionSecret: other) == nil, "\(other)")
        }
    }

    @Test(arguments: Backend.allCases)
    func signOutExpiryAndRevocationEachEndASession(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        let (key, _) = try await store.createAPIKey(role: .admin, workspaceIds: [], name: nil)
        let signedOut = try await store.createDashboardSession(keyId: key.id)
        let kept = try await store.createDashboardSession(keyId: key.id)
        try await store.endDashboardSession(sessionSecret: signedOut)
        try await store.endDashboardSession(sessionSecret: signedOut) // twice: nothing more happens
        #expect(try await store.dashboardPrincipal(sessionSecret: signedOut) == nil)
        #expect(try await store.dashboardPrincipal(sessionSecret: kept)?.keyId == key.id)

        clock.advance(seconds: DashboardSessionPolicy.lifetimeMillis / 1000 - 1)
        #expect(try await store.dashboardPrincipal(sessionSecret: kept)?.keyId == key.id)
        clock.advance(seconds: 1)
        #expect(try await store.dashboardPrincipal(sessionSecret: kept) == nil)
        #expect(try await store.dashboardSessions(keyId: key.id).isEmpty)

        let (other, _) = try await store.createAPIKey(role: .viewer, workspaceIds: [], name: nil)
        let live = try await store.createDashboardSession(keyId: other.id)
        try await store.revokeAPIKey(id: other.id)
        #expect(try await store.dashboardPrincipal(sessionSecret: live) == nil)
        await #expect(throws: TributeError.apiKeyNotFound(other.id)) { try await store.createDashboardSession(keyId: other.id) }
        await #expect(throws: TributeError.apiKeyNotFound("key_nope")) { try await store.createDashboardSession(keyId: "key_nope") }
    }

    @Test(arguments: Backend.allCases)
    func aKeyKeepsAtMostItsNewestSessionsAndExpiredOnesAreSweptAtSignIn(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        let (key, _) = try await store.createAPIKey(role: .admin, workspaceIds: [], name: nil)
        let start = clock.nowMillis()
        var secrets: [String] = []
        for _ in 0..<(DashboardSessionPolicy.maxPerKey + 5) { secrets.append(try await store.createDashboardSession(keyId: key.id)) }
        let sessions = try await store.dashboardSessions(keyId: key.id)
        #expect(sessions.count == DashboardSessionPolicy.maxPerKey)
        #expect(sessions.first?.secretHash == Hex.sha256(secrets.last!))
        for oldest in secrets.prefix(5) { #expect(try await store.dashboardPrincipal(sessionSecret: oldest) == nil) }
        #expect(try await store.dashboardPrincipal(sessionSecret: secrets[5])?.keyId == key.id)

        // A sign-in after they all expired removes them from the table, not just from view:
        // with the clock set back, only the new session is there.
        let (other, _) = try await store.createAPIKey(role: .viewer, workspaceIds: [], name: nil)
        clock.advance(seconds: DashboardSessionPolicy.lifetimeMillis / 1000)
        _ = try await store.createDashboardSession(keyId: other.id)
        clock.set(millis: start)
        #expect(try await store.dashboardSessions(keyId: key.id).isEmpty)
        #expect(try await store.dashboardSessions(keyId: other.id).count == 1)
    }
}
