import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// The dashboard is no way around the API's limits: its pages spend the key's rate-limit
/// tokens, and its forms apply the API's text rules.
@Suite struct DashboardLimitsTests {
    @Test(arguments: Backend.allCases)
    func signedInPagesSpendTheKeysRateLimit(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        // Sign-in takes one token (it writes a session); the pages after it take one each.
        let limited = try await fixture.store.createAPIKey(role: .admin, workspaceIds: [], name: nil, rateLimit: RateLimit(perSecond: 1, burst: 3)).secret
        try await fixture.test { client in
            let session = try await DashboardTests.session(client, limited)
            let cookie: HTTPFields = [.cookie: "tribute_session=\(session)"]
            var statuses: [Int] = []
            for _ in 0..<4 { statuses.append(Int(try await client.execute(uri: "/admin", method: .get, headers: cookie).status.code)) }
            #expect(statuses.filter { $0 == 200 }.count == 2)
            #expect(statuses.suffix(2) == [429, 429])
        }
    }

    @Test(arguments: [
        ("/admin/keys", "role=admin&name=a" + String(repeating: "%CC%81", count: 200)),
        ("/admin/keys", "role=admin&name=ok%01%1B"),
        ("/admin/plans/p", "name=p%00&monthlyAllowance=1&overagePolicy=block&overageRate=0&priceCents=0"),
    ])
    func formTextFollowsTheAPIsRules(path: String, body: String) async throws {
        let fixture = try await APIFixture(.sqlite)
        let keysBefore = try await fixture.store.apiKeys().count
        let plansBefore = try await fixture.store.plans()
        try await fixture.test { client in
            let session = try await DashboardTests.session(client, fixture.adminKey)
            let response = try await client.execute(uri: path, method: .post, headers: DashboardTests.form(body, cookie: session), body: ByteBuffer(string: body))
            #expect(response.status == .unprocessableContent, "\(path) \(body.prefix(60)) → \(response.status)")
        }
        #expect(try await fixture.store.apiKeys().count == keysBefore)
        #expect(try await fixture.store.plans() == plansBefore)
    }
}
