import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// The dashboard's admin console through the router: each form does what its API call does,
/// and a bad value, another site, or a key without the role changes nothing. (The same flows
/// in a real browser: Tests/Browser/dashboard_test.py.)
@Suite struct AdminConsoleTests {
    typealias Page = DashboardTests

    static func post(_ client: any TestClientProtocol, _ path: String, _ body: String, session: String, crossSite: Bool = false) async throws -> TestResponse {
        try await client.execute(uri: path, method: .post, headers: Page.form(body, cookie: session, crossSite: crossSite), body: ByteBuffer(string: body))
    }

    /// A form that did its work: `303` to `location` with a flash cookie, and the page there
    /// shows the notice once and clears the cookie. Returns that page.
    static func followed(_ client: any TestClientProtocol, _ response: TestResponse, to location: String, session: String,
                         sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        #expect(response.status == .seeOther && response.headers[.location] == location, sourceLocation: sourceLocation)
        let flash = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("tribute_notice=") }, sourceLocation: sourceLocation)
        let value = String(flash.dropFirst("tribute_notice=".count).prefix { $0 != ";" })
        let page = try await client.execute(uri: location, method: .get, headers: [.cookie: "tribute_session=\(session); tribute_notice=\(value)"])
        #expect(page.status == .ok, sourceLocation: sourceLocation)
        #expect(page.headers[values: .setCookie].contains { $0.hasPrefix("tribute_notice=;") && $0.contains("Max-Age=0") }, sourceLocation: sourceLocation)
        return Page.text(page)
    }

    @Test(arguments: Backend.allCases)
    func everyFormDoesWhatItsAPICallDoes(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        let store = fixture.store
        try await fixture.test { client in
            let admin = try await Page.session(client, fixture.adminKey)
            let created = try await Self.post(client, "/admin/workspaces", "name=Acme+Labs&id=acme&planId=pro&anchorDate=2026-11-15", session: admin)
            #expect(try await Self.followed(client, created, to: "/workspaces/acme", session: admin).contains("Workspace acme created."))
            var workspace = try await store.workspace(id: "acme")
            #expect(workspace.name == "Acme Labs" && workspace.planId == "pro")

            let saved = try await Self.post(client, "/workspaces/acme/settings", "name=Acme&planId=prepaid", session: admin)
            #expect(try await Self.followed(client, saved, to: "/workspaces/acme", session: admin).contains("Saved: Acme is on plan prepaid"))
            workspace = try await store.workspace(id: "acme")
            #expect(workspace.name == "Acme" && workspace.planId == "prepaid")
            let suspended = try await Self.post(client, "/workspaces/acme/status", "status=suspended", session: admin)
            #expect(try await Self.followed(client, suspended, to: "/workspaces/acme", session: admin).contains("Reactivate"))
            #expect(try await store.workspace(id: "acme").status == .suspended)
            #expect(try await Self.post(client, "/workspaces/acme/status", "status=active", session: admin).status == .seeOther)
            #expect(try await store.workspace(id: "acme").status == .active)

            let granted = try await Self.post(client, "/workspaces/acme/credit-grants", "amount=50.5&expiresAt=2099-01-01&note=goodwill", session: admin)
            #expect(try await Self.followed(client, granted, to: "/workspaces/acme", session: admin).contains("Granted 50.5 credits"))
            #expect(try await store.workspace(id: "acme").remainingBalance == Amount(units: 50) + Amount(micros: 500_000))

            #expect(try await Self.post(client, "/workspaces/acme/budgets", "scopeKind=run&scopeId=nightly&limit=5&unit=credits&period=month", session: admin).status == .seeOther)
            #expect(try await Self.post(client, "/workspaces/acme/budgets", "scope=run%3Anightly&limit=7&unit=actions&period=lifetime", session: admin).status == .seeOther)
            let budgets = try await store.budgets(workspaceId: "acme").map(\.budget)
            #expect(budgets.count == 1 && budgets[0].scope.description == "run:nightly" && budgets[0].limit == Amount(units: 7)
                    && budgets[0].unit == .actions && budgets[0].period == .lifetime)
            #expect(try await Self.post(client, "/workspaces/acme/budgets/delete", "scope=run%3Anightly", session: admin).status == .seeOther)
            #expect(try await store.budgets(workspaceId: "acme").isEmpty)

            // A charge, its explanation page, and its reversal with a reason.
            let charge = try await client.send(.post, "/v1/agent-actions/authorize-and-debit", key: fixture.adminKey,
                                               body: #"{"workspaceId":"acme","actionType":"SIMPLE_LLM","userId":"ann"}"#)
            let decisionId = try #require(charge.json?.objectValue?["decisionId"]?.stringValue)
            let page = try await client.execute(uri: "/workspaces/acme/decisions/\(decisionId)", method: .get, headers: Page.cookie(admin))
            #expect(page.status == .ok && Page.text(page).contains("Reverse this charge") && Page.text(page).contains("Previous hash"))
            let reversed = try await Self.post(client, "/workspaces/acme/decisions/\(decisionId)/reverse", "reason=charged+twice", session: admin)
            #expect(try await Self.followed(client, reversed, to: "/workspaces/acme/decisions/\(decisionId)", session: admin).contains("Reversed: transaction"))
            #expect(try await store.workspace(id: "acme").remainingBalance == Amount(units: 50) + Amount(micros: 500_000))
            let again = try await Self.post(client, "/workspaces/acme/decisions/\(decisionId)/reverse", "reason=again", session: admin)
            #expect(again.status == .conflict && Page.text(again).contains("reversed already"))

            // A token-priced action type: added, edited, called, and explained line by line.
            let tokenType = try await Self.post(client, "/admin/action-costs",
                                                "actionType=LLM&pricing=tokens&perCall=0.01&inputTokens=2.5&cachedInputTokens=0.25&outputTokens=10", session: admin)
            #expect(try await Self.followed(client, tokenType, to: "/admin", session: admin).contains("LLM costs 0.01 per call, 2.5 per million inputTokens"))
            let edited = try await Self.post(client, "/admin/action-costs/LLM", "pricing=tokens&perCall=0&inputTokens=3&outputTokens=12", session: admin)
            let console = try await Self.followed(client, edited, to: "/admin", session: admin)
            #expect(console.contains(#"name="outputTokens" value="12""#) && console.contains("(version 2)"))
            let rates = try #require(try await store.actionCosts().first { $0.actionType == "LLM" }?.tokenRates)
            #expect(rates[.inputTokens] == Amount(units: 3) && rates[.cachedInputTokens] == .zero && rates[.outputTokens] == Amount(units: 12))
            let badRate = try await Self.post(client, "/admin/action-costs/LLM", "pricing=tokens&inputTokens=-1", session: admin)
            let versions = try await store.actionCostHistory(actionType: "LLM").count
            #expect(badRate.status == .unprocessableContent && versions == 2)
            let tokenCall = try await client.send(.post, "/v1/agent-actions/authorize-and-debit", key: fixture.adminKey,
                                                  body: #"{"workspaceId":"acme","actionType":"LLM","usage":{"inputTokens":1000,"outputTokens":500}}"#)
            let tokenDecision = try #require(tokenCall.json?.objectValue?["decisionId"]?.stringValue, "\(tokenCall.text)")
            let explained = Page.text(try await client.execute(uri: "/workspaces/acme/decisions/\(tokenDecision)", method: .get, headers: Page.cookie(admin)))
            #expect(explained.contains("1000 inputTokens at 3 per million: 0.003") && explained.contains("500 outputTokens at 12 per million: 0.006"))

            // A webhook endpoint: its secret once, its delivery log, its deletion.
            let endpoint = try await Self.post(client, "/admin/webhook-endpoints",
                                               "url=https%3A%2F%2Fhooks.example.com%2Ftribute&description=ops&eventTypes=balance.low&eventTypes=hold.expired", session: admin)
            #expect(endpoint.status == .ok && Page.text(endpoint).contains("signing secret is whsec_"))
            let endpoints = try await store.webhookEndpoints()
            #expect(endpoints.count == 1 && endpoints[0].eventTypes == [.balanceLow, .holdExpired] && endpoints[0].description == "ops")
            let log = try await client.execute(uri: "/admin/webhook-endpoints/\(endpoints[0].id)", method: .get, headers: Page.cookie(admin))
            #expect(log.status == .ok && Page.text(log).contains("hooks.example.com"))
            #expect(try await Self.post(client, "/admin/webhook-endpoints/\(endpoints[0].id)/delete", "", session: admin).status == .seeOther)
            #expect(try await store.webhookEndpoints().isEmpty)
        }
    }

    /// The notice rides to the next page in a cookie signed for the session: shown once,
    /// and one made for another session, or by anyone else, is not shown.
    @Test func aFormsNoticeShowsOnceAndOnlyInItsOwnSession() async throws {
        let fixture = try await APIFixture(.sqlite)
        try await fixture.workspace("w", credits: Amount(units: 10))
        try await fixture.test { client in
            let admin = try await Page.session(client, fixture.adminKey)
            let other = try await Page.session(client, fixture.adminKey)
            let granted = try await Self.post(client, "/workspaces/w/credit-grants", "amount=5&note=%E2%9C%93", session: admin)
            let flash = try #require(granted.headers[values: .setCookie].first { $0.hasPrefix("tribute_notice=") })
            #expect(flash.contains("HttpOnly") && flash.contains("SameSite=Strict") && flash.contains("Max-Age=60"))
            let value = String(flash.dropFirst("tribute_notice=".count).prefix { $0 != ";" })
            func page(_ session: String, _ notice: String) async throws -> String {
                Page.text(try await client.execute(uri: "/workspaces/w", method: .get, headers: [.cookie: "tribute_session=\(session); tribute_notice=\(notice)"]))
            }
            #expect(try await page(admin, value).contains("Granted 5 credits"))
            #expect(try await !page(other, value).contains("Granted 5 credits"))
            let forged = "R3JhbnRlZCA5OTkgY3JlZGl0cw." + String(repeating: "0", count: 64)
            #expect(try await !page(admin, forged).contains("Granted 999"))
            #expect(try await !page(admin, "%%%." + value).contains("Granted"))
            #expect(try await Page.text(client.execute(uri: "/workspaces/w", method: .get, headers: Page.cookie(admin))).contains("Granted") == false)
        }
        #expect(try await fixture.store.workspace(id: "w").remainingBalance == Amount(units: 15))
    }

    /// A row's form names its budget exactly: `user:bob ` and `user:bob` are two scopes, and
    /// a form that is not text is refused whole, not applied without the field it garbled.
    @Test func aBudgetRowActsOnItsOwnScopeAndAFormThatIsNotTextIsRefused() async throws {
        let fixture = try await APIFixture(.sqlite)
        let store = fixture.store
        try await fixture.workspace("w", credits: Amount(units: 10))
        let spaced = try #require(BudgetScope(parsing: "user:bob "))
        let plain = try #require(BudgetScope(parsing: "user:bob"))
        _ = try await store.putBudget(workspaceId: "w", scope: spaced, limit: Amount(units: 5), unit: .credits, period: .month)
        _ = try await store.putBudget(workspaceId: "w", scope: plain, limit: Amount(units: 100), unit: .credits, period: .month)
        try await fixture.test { client in
            let admin = try await Page.session(client, fixture.adminKey)
            #expect(try await Self.post(client, "/workspaces/w/budgets", "scope=user%3Abob+&limit=1&unit=credits&period=month", session: admin).status == .seeOther)
            var limits = Dictionary(uniqueKeysWithValues: try await store.budgets(workspaceId: "w").map { ($0.budget.scope.description, $0.budget.limit) })
            #expect(limits == ["user:bob ": Amount(units: 1), "user:bob": Amount(units: 100)])
            #expect(try await Self.post(client, "/workspaces/w/budgets/delete", "scope=user%3Abob+", session: admin).status == .seeOther)
            limits = Dictionary(uniqueKeysWithValues: try await store.budgets(workspaceId: "w").map { ($0.budget.scope.description, $0.budget.limit) })
            #expect(limits == ["user:bob": Amount(units: 100)])

            for body in ["amount=1&note=%C3%28", "amount=1&note=%ZZ", "amount=1&note=\u{FFFD}%FF"] {
                let refused = try await Self.post(client, "/workspaces/w/credit-grants", body, session: admin)
                #expect(refused.status == .unprocessableContent && Page.text(refused).contains("not valid text"), "\(body)")
            }
            let raw = try await client.execute(uri: "/workspaces/w/credit-grants", method: .post, headers: Page.form("", cookie: admin),
                                               body: ByteBuffer(bytes: Array("amount=1&note=".utf8) + [0xC3, 0x28, 0xFF]))
            #expect(raw.status == .unprocessableContent)
        }
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(units: 10))
    }

    @Test func badValuesOtherSitesAndOtherRolesChangeNothing() async throws {
        let fixture = try await APIFixture(.sqlite)
        let store = fixture.store
        try await fixture.workspace("w", credits: Amount(units: 10))
        try await fixture.workspace("other", credits: Amount(units: 10))
        let viewerKey = try await fixture.key(.viewer, ["w"])
        let serviceKey = try await fixture.key(.service, ["w"])
        try await fixture.test { client in
            let admin = try await Page.session(client, fixture.adminKey)
            for body in ["amount=0", "amount=-1", "amount=abc", "amount=1.0000001", "amount=", "amount=1&expiresAt=tomorrow", "amount=99999999999999999"] {
                let response = try await Self.post(client, "/workspaces/w/credit-grants", body, session: admin)
                #expect(response.status == .unprocessableContent, "\(body)")
            }
            for body in ["scopeKind=team&scopeId=x&limit=1&unit=credits&period=month", "scopeKind=run&scopeId=x&limit=-1&unit=credits&period=month",
                         "scope=run&limit=1&unit=credits&period=month", "scopeKind=run&scopeId=x&limit=1&unit=coins&period=month",
                         "scopeKind=run&scopeId=x&limit=1&unit=credits"] {
                #expect(try await Self.post(client, "/workspaces/w/budgets", body, session: admin).status == .unprocessableContent, "\(body)")
            }
            #expect(try await Self.post(client, "/workspaces/w/status", "status=gone", session: admin).status == .unprocessableContent)
            #expect(try await Self.post(client, "/workspaces/w/settings", "name=W&planId=nope", session: admin).status == .notFound)
            #expect(try await Self.post(client, "/workspaces/w/settings", "name=W&planId=pro&status=suspended", session: admin).status == .unprocessableContent)
            #expect(try await Self.post(client, "/admin/workspaces", "name=X&planId=nope", session: admin).status == .notFound)
            #expect(try await Self.post(client, "/admin/workspaces", "name=X&id=w&planId=pro", session: admin).status == .conflict)
            #expect(try await Self.post(client, "/admin/workspaces", "id=..&name=X&planId=pro", session: admin).status == .unprocessableContent)
            #expect(try await Self.post(client, "/admin/webhook-endpoints", "url=http%3A%2F%2F127.0.0.1%2Fx", session: admin).status == .unprocessableContent)
            #expect(try await Self.post(client, "/admin/webhook-endpoints", "url=https%3A%2F%2Fa.example.com%2F&eventTypes=decision", session: admin).status == .unprocessableContent)
            #expect(try await Self.post(client, "/admin/webhook-endpoints/nope/delete", "", session: admin).status == .notFound)
            #expect(try await client.execute(uri: "/admin/webhook-endpoints/nope", method: .get, headers: Page.cookie(admin)).status == .notFound)
            #expect(try await Self.post(client, "/workspaces/w/credit-grants", "amount=5", session: admin, crossSite: true).status == .forbidden)

            // A decision of another workspace is not found under this one, and is not reversed.
            let charge = try await client.send(.post, "/v1/agent-actions/authorize-and-debit", key: fixture.adminKey,
                                               body: #"{"workspaceId":"other","actionType":"SIMPLE_LLM"}"#)
            let decisionId = try #require(charge.json?.objectValue?["decisionId"]?.stringValue)
            #expect(try await Self.post(client, "/workspaces/w/decisions/\(decisionId)/reverse", "reason=x", session: admin).status == .notFound)
            #expect(try await Self.post(client, "/workspaces/other/decisions/\(decisionId)/reverse", "reason=", session: admin).status == .unprocessableContent)

            // A viewer reads the explanation but changes nothing; a service key edits budgets only.
            let viewer = try await Page.session(client, viewerKey)
            let service = try await Page.session(client, serviceKey)
            for path in ["/workspaces/w/settings", "/workspaces/w/status", "/workspaces/w/credit-grants", "/workspaces/w/budgets", "/admin/workspaces", "/admin/webhook-endpoints"] {
                #expect(try await Self.post(client, path, "amount=5&status=suspended&name=V&planId=pro&scopeKind=run&scopeId=v&limit=1&unit=credits&period=month&url=https%3A%2F%2Fa.example.com%2F",
                                            session: viewer).status == .forbidden, "\(path)")
            }
            for path in ["/workspaces/w/settings", "/workspaces/w/status", "/workspaces/w/credit-grants", "/admin/workspaces"] {
                #expect(try await Self.post(client, path, "amount=5&status=suspended&name=S&planId=pro", session: service).status == .forbidden, "\(path)")
            }
            #expect(try await Self.post(client, "/workspaces/w/budgets", "scopeKind=agent&scopeId=bot&limit=3&unit=credits&period=month", session: service).status == .seeOther)
            #expect(try await Self.post(client, "/workspaces/other/budgets", "scopeKind=agent&scopeId=bot&limit=3&unit=credits&period=month", session: service).status == .forbidden)
        }
        let w = try await store.workspace(id: "w")
        #expect(w.remainingBalance == Amount(units: 10) && w.planId == "prepaid" && w.status == .active && w.name == "w")
        #expect(try await store.budgets(workspaceId: "w").map(\.budget.scope.description) == ["agent:bot"])
        #expect(try await store.budgets(workspaceId: "other").isEmpty)
        #expect(try await store.webhookEndpoints().isEmpty)
        #expect(try await store.workspaces(limit: 10, cursor: nil).items.count == 2)
        #expect(try await store.workspace(id: "other").remainingBalance < Amount(units: 10)) // charged, never reversed
    }
}
