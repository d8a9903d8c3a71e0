import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TributeCore
import TributeServer
import TributeStore
import TributeTestSupport

/// What a tenant makes is bounded at the API and the dashboard (SPEC §3.3): budgets per
/// workspace, webhook endpoints and keys have caps (`422`, nothing written); budgets are
/// listed a page at a time, and the workspace page shows them a page at a time.
@Suite struct CollectionLimitsAPITests {
    static func run<Value>(_ fixture: APIFixture, limits: CollectionLimits,
                           _ body: @Sendable @escaping (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let app = buildApplication(store: fixture.store, host: "127.0.0.1", port: 0, logger: Logger(label: "test"), limits: limits)
        return try await app.test(.router) { client in try await body(client) }
    }

    static let budget = #"{"limit":5,"unit":"credits","period":"month"}"#

    /// A service key fills the workspace's cap of 3; the 4th scope is `422
    /// too_many_budgets` with the error body and writes nothing; new terms for a budget it
    /// has are still `200`.
    @Test(arguments: Backend.allCases)
    func aBudgetPastTheCapIs422AndWritesNothing(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let service = try await fixture.key(.service, ["w"])
        try await Self.run(fixture, limits: CollectionLimits(budgetsPerWorkspace: 3)) { client in
            for index in 0..<3 {
                #expect(try await client.send(.put, "/v1/workspaces/w/budgets/user:u\(index)", key: service, body: Self.budget).status == .ok)
            }
            let refused = try await client.send(.put, "/v1/workspaces/w/budgets/user:u3", key: service, body: Self.budget)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.errorCode == "too_many_budgets")
            #expect(refused.json?.objectValue?["error"]?.objectValue?["message"]?.stringValue?.contains("3 budgets") == true)
            let changed = try await client.send(.put, "/v1/workspaces/w/budgets/user:u1", key: service, body: #"{"limit":7,"unit":"actions","period":"lifetime"}"#)
            #expect(changed.status == .ok)
            let listed = try await client.send(.get, "/v1/workspaces/w/budgets", key: service)
            #expect(listed.json?.arrayItems?.compactMap { $0.objectValue?["scope"]?.stringValue } == ["user:u0", "user:u1", "user:u2"])
        }
        #expect(try await fixture.store.budgets(workspaceId: "w").count == 3)
    }

    /// Without `limit` or `cursor` the list stays SPEC §3's array; with either it is a page,
    /// `{items, nextCursor}`, and walking the pages gives every budget once.
    @Test(arguments: Backend.allCases)
    func theBudgetListIsAnArrayOrPages(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        for index in 0..<12 {
            _ = try await fixture.store.putBudget(workspaceId: "w", scope: BudgetScope(kind: .agent, id: "a\(index)"), limit: .one, unit: .actions, period: .month)
        }
        try await fixture.test { client in
            let whole = try await client.send(.get, "/v1/workspaces/w/budgets", key: fixture.adminKey)
            #expect(whole.status == .ok)
            #expect(whole.json?.arrayItems?.count == 12)
            #expect(whole.headers[HTTPField.Name("Link")!] == nil)

            var seen: [String] = []
            var path = "/v1/workspaces/w/budgets?limit=5"
            for _ in 0..<10 {
                let page = try await client.send(.get, path, key: fixture.adminKey)
                #expect(page.status == .ok)
                let object = try #require(page.json?.objectValue)
                let items = try #require(object["items"]?.arrayItems)
                #expect(items.count <= 5)
                seen += items.compactMap { $0.objectValue?["scope"]?.stringValue }
                guard let next = object["nextCursor"]?.stringValue else {
                    #expect(object["nextCursor"] == .null)
                    break
                }
                path = "/v1/workspaces/w/budgets?limit=5&cursor=\(next)"
            }
            #expect(seen.count == 12 && Set(seen).count == 12)
            #expect(seen == whole.json?.arrayItems?.compactMap { $0.objectValue?["scope"]?.stringValue })

            let firstPage = try await client.send(.get, "/v1/workspaces/w/budgets?cursor=\(BudgetScopeCursor.of("agent:a0"))", key: fixture.adminKey)
            #expect(firstPage.json?.objectValue?["items"]?.arrayItems?.count == 11)
            for bad in ["limit=0", "limit=501", "cursor=%21%21", "cursor=" + String(repeating: "A", count: 301)] {
                let refused = try await client.send(.get, "/v1/workspaces/w/budgets?\(bad)", key: fixture.adminKey)
                #expect(refused.status == .unprocessableContent, "\(bad)")
                #expect(refused.errorCode == "invalid_value", "\(bad)")
            }
        }
    }

    /// A workspace with more budgets than the array holds (made under a higher cap): the
    /// array stops at 1,000 and `Link` names the next page.
    @Test func theArrayStopsAtAThousandWithALinkToTheRest() async throws {
        let fixture = try await APIFixture(.sqlite)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let store = fixture.store
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<1_002 {
                group.addTask {
                    _ = try await store.putBudget(workspaceId: "w", scope: BudgetScope(kind: .run, id: String(format: "r%04d", index)),
                                                  limit: .one, unit: .actions, period: .month, maxBudgets: 2_000)
                }
            }
            try await group.waitForAll()
        }
        try await fixture.test { client in
            let whole = try await client.send(.get, "/v1/workspaces/w/budgets", key: fixture.adminKey)
            #expect(whole.json?.arrayItems?.count == 1_000)
            let link = try #require(whole.headers[HTTPField.Name("Link")!])
            #expect(link.hasPrefix("</v1/workspaces/w/budgets?limit=500&cursor=") && link.hasSuffix(#">; rel="next""#))
            let next = String(link.dropFirst().prefix { $0 != ">" })
            let rest = try await client.send(.get, next, key: fixture.adminKey)
            #expect(rest.json?.objectValue?["items"]?.arrayItems?.compactMap { $0.objectValue?["scope"]?.stringValue } == ["run:r1000", "run:r1001"])
        }
    }

    /// Endpoints and keys past their caps are `422` with their own codes, from the API and
    /// the admin console alike, and nothing is written.
    @Test(arguments: Backend.allCases)
    func webhookEndpointsAndKeysPastTheirCapsAre422(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        // The fixture's admin key is one: two more keys fill a cap of three.
        let limits = CollectionLimits(webhookEndpoints: 2, apiKeys: 3)
        try await Self.run(fixture, limits: limits) { client in
            for index in 0..<2 {
                let created = try await client.send(.post, "/v1/webhook-endpoints", key: fixture.adminKey, body: #"{"url":"https://hooks.example.com/\#(index)"}"#)
                #expect(created.status == .created)
            }
            let endpoint = try await client.send(.post, "/v1/webhook-endpoints", key: fixture.adminKey, body: #"{"url":"https://hooks.example.com/2"}"#)
            #expect(endpoint.status == .unprocessableContent)
            #expect(endpoint.errorCode == "too_many_webhook_endpoints")

            for _ in 0..<2 {
                #expect(try await client.send(.post, "/v1/api-keys", key: fixture.adminKey, body: #"{"role":"viewer","workspaceIds":["w"]}"#).status == .created)
            }
            let key = try await client.send(.post, "/v1/api-keys", key: fixture.adminKey, body: #"{"role":"viewer","workspaceIds":["w"]}"#)
            #expect(key.status == .unprocessableContent)
            #expect(key.errorCode == "too_many_api_keys")

            let session = try await DashboardTests.session(client, fixture.adminKey)
            let form = "role=viewer&workspaceIds=w"
            let page = try await client.execute(uri: "/admin/keys", method: .post, headers: DashboardTests.form(form, cookie: session), body: ByteBuffer(string: form))
            #expect(page.status == .unprocessableContent)
            #expect(DashboardTests.text(page).contains("3 live API keys"))
        }
        #expect(try await fixture.store.webhookEndpoints().count == 2)
        #expect(try await fixture.store.apiKeys().count == 3)
    }

    /// The workspace page shows 50 budgets at a time: with 120, three pages linked one to
    /// the next show each budget once, and no page grows with the workspace.
    @Test(arguments: Backend.allCases)
    func theWorkspacePageShowsBudgetsAPageAtATime(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let store = fixture.store
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<120 {
                group.addTask {
                    _ = try await store.putBudget(workspaceId: "w", scope: BudgetScope(kind: .user, id: "user-\(1_000 + index)"), limit: .one, unit: .credits, period: .month)
                }
            }
            try await group.waitForAll()
        }
        let service = try await fixture.key(.service, ["w"])
        try await fixture.test { client in
            let session = try await DashboardTests.session(client, service)
            let cookie: HTTPFields = [.cookie: "tribute_session=\(session)"]
            var seen: [String] = []
            var path = "/workspaces/w"
            var sizes: [Int] = []
            for _ in 0..<5 {
                let page = try await client.execute(uri: path, method: .get, headers: cookie)
                #expect(page.status == .ok)
                let html = DashboardTests.text(page)
                sizes.append(html.utf8.count)
                let rows = html.components(separatedBy: #"<input type="hidden" name="scope" value=""#).dropFirst().map { String($0.prefix { $0 != "\"" }) }
                // Each budget's row has two forms (save, delete) naming its scope.
                let scopes = Array(Set(rows)).sorted()
                #expect(scopes.count <= 50)
                seen += scopes
                guard let range = html.range(of: #"?budgets="#) else { break }
                let cursor = html[range.upperBound...].prefix { $0 != "#" && $0 != "\"" }
                path = "/workspaces/w?budgets=\(cursor)"
            }
            #expect(seen.count == 120 && Set(seen).count == 120)
            #expect(sizes.count == 3)
            // The first page stays the size of 50 rows however many budgets the workspace has.
            #expect(try #require(sizes.max()) < 120_000)
            let bad = try await client.execute(uri: "/workspaces/w?budgets=%21", method: .get, headers: cookie)
            #expect(bad.status == .unprocessableContent)
        }
    }
}

/// A budget page's cursor as the store makes it (base64url of the scope), for tests.
enum BudgetScopeCursor {
    static func of(_ scope: String) -> String {
        Data(scope.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

extension JSON {
    /// The elements of an array, `nil` for anything else.
    fileprivate var arrayItems: [JSON]? { if case .array(let items) = self { items } else { nil } }
}
