import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import Foundation
import Logging
import TributeCore
import TributePayments
import TributeServer
import TributeTestSupport

/// The dashboard's sign-in, access rules and forms, through the router. (The pages in a
/// real browser: Tests/Browser/dashboard_test.py.)
@Suite struct DashboardTests {
    static func cookie(_ key: String) -> HTTPFields { [.cookie: "tribute_key=\(key)"] }

    static func form(_ text: String, cookie key: String, crossSite: Bool = false) -> HTTPFields {
        var headers: HTTPFields = [.cookie: "tribute_key=\(key)", .contentType: "application/x-www-form-urlencoded"]
        headers[HTTPField.Name("Sec-Fetch-Site")!] = crossSite ? "cross-site" : "same-origin"
        return headers
    }

    static func text(_ response: TestResponse) -> String { String(buffer: response.body) }

    @Test func signingInSetsAnHttpOnlyStrictCookieAndNeverPutsTheKeyInAURL() async throws {
        let fixture = try await APIFixture(.sqlite)
        try await fixture.test { client in
            let start = try await client.execute(uri: "/", method: .get)
            #expect(start.status == .seeOther && start.headers[.location] == "/sign-in")
            let wrong = try await client.execute(uri: "/sign-in", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                 body: ByteBuffer(string: "key=trb_nope"))
            #expect(wrong.status == .unauthorized)
            #expect(Self.text(wrong).contains("not valid"))
            let right = try await client.execute(uri: "/sign-in", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                 body: ByteBuffer(string: "key=\(fixture.adminKey)"))
            #expect(right.status == .seeOther && right.headers[.location] == "/")
            let cookie = try #require(right.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.hasPrefix("tribute_key="))
            let admin = try await client.execute(uri: "/", method: .get, headers: Self.cookie(fixture.adminKey))
            #expect(admin.headers[.location] == "/admin")
            let page = try await client.execute(uri: "/admin", method: .get, headers: Self.cookie(fixture.adminKey))
            #expect(page.status == .ok && !Self.text(page).contains(fixture.adminKey))
            #expect(page.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("default-src 'self'") == true)
        }
    }

    @Test func aViewerKeyOpensOnlyItsWorkspace() async throws {
        let fixture = try await APIFixture(.sqlite)
        try await fixture.workspace("mine", credits: .one)
        try await fixture.workspace("theirs", credits: .one)
        let viewer = try await fixture.key(.viewer, ["mine"])
        try await fixture.test { client in
            #expect(try await client.execute(uri: "/", method: .get, headers: Self.cookie(viewer)).headers[.location] == "/workspaces/mine")
            #expect(try await client.execute(uri: "/workspaces/mine", method: .get, headers: Self.cookie(viewer)).status == .ok)
            let other = try await client.execute(uri: "/workspaces/theirs", method: .get, headers: Self.cookie(viewer))
            #expect(other.status == .forbidden && other.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(try await client.execute(uri: "/admin", method: .get, headers: Self.cookie(viewer)).status == .forbidden)
            #expect(try await client.execute(uri: "/workspaces/theirs/live", method: .get, headers: Self.cookie(viewer)).status == .forbidden)
            #expect(try await client.execute(uri: "/workspaces/theirs/usage.csv", method: .get, headers: Self.cookie(viewer)).status == .forbidden)
            let buy = try await client.execute(uri: "/workspaces/mine/purchases", method: .post, headers: Self.form("packageId=starter", cookie: viewer),
                                               body: ByteBuffer(string: "packageId=starter"))
            #expect(buy.status == .forbidden)
        }
    }

    @Test func adminFormsRefuseBadValuesAndOtherSitesAndChangeNothing() async throws {
        let fixture = try await APIFixture(.sqlite)
        try await fixture.test { client in
            for body in ["baseCost=abc", "baseCost=-1", "baseCost=1.0000001", "baseCost="] {
                let response = try await client.execute(uri: "/admin/action-costs/SIMPLE_LLM", method: .post, headers: Self.form(body, cookie: fixture.adminKey),
                                                        body: ByteBuffer(string: body))
                #expect(response.status == .unprocessableContent, "\(body)")
            }
            let crossSite = try await client.execute(uri: "/admin/action-costs/SIMPLE_LLM", method: .post,
                                                     headers: Self.form("baseCost=9", cookie: fixture.adminKey, crossSite: true), body: ByteBuffer(string: "baseCost=9"))
            #expect(crossSite.status == .forbidden)
            #expect(try await fixture.store.actionCostHistory(actionType: "SIMPLE_LLM").count == 1)
            let saved = try await client.execute(uri: "/admin/action-costs/SIMPLE_LLM", method: .post, headers: Self.form("baseCost=2.5", cookie: fixture.adminKey),
                                                 body: ByteBuffer(string: "baseCost=2.5"))
            #expect(saved.status == .ok && Self.text(saved).contains("SIMPLE_LLM costs 2.5 (version 2)"))
        }
    }

    /// With payments on (localstripe), the packages show and buying one starts a purchase.
    @Test func aServiceKeyStartsAPurchaseFromTheWorkspacePage() async throws {
        guard let base = ProcessInfo.processInfo.environment["TRIBUTE_TEST_STRIPE_API_BASE"], !base.isEmpty else {
            throw PaymentsEndToEndTests.NotConfigured()
        }
        let fixture = try await APIFixture(.sqlite)
        try await fixture.workspace("w", credits: .one)
        let service = try await fixture.key(.service, ["w"])
        let app = buildApplication(store: fixture.store, stripe: StripeConfiguration(secretKey: "sk_test_dashboard", apiBase: base),
                                   host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        try await app.test(.router) { client in
            let page = try await client.execute(uri: "/workspaces/w", method: .get, headers: Self.cookie(service))
            #expect(Self.text(page).contains("Buy Starter"))
            let bought = try await client.execute(uri: "/workspaces/w/purchases", method: .post, headers: Self.form("packageId=starter", cookie: service),
                                                  body: ByteBuffer(string: "packageId=starter"))
            #expect(bought.status == .ok)
            #expect(Self.text(bought).contains("is waiting for payment"))
        }
        let purchases = try await fixture.store.purchases(workspaceId: "w", limit: 10, cursor: nil).items
        #expect(purchases.count == 1 && purchases[0].status == .pending && purchases[0].paymentIntentId?.hasPrefix("pi_") == true)
    }

    @Test func namesAreEscaped() async throws {
        let fixture = try await APIFixture(.sqlite)
        _ = try await fixture.store.createWorkspace(WorkspaceDraft(id: "x", name: "<script>alert(1)</script>", planId: "free", anchorDate: nil))
        try await fixture.test { client in
            let page = try await client.execute(uri: "/workspaces/x", method: .get, headers: Self.cookie(fixture.adminKey))
            #expect(!Self.text(page).contains("<script>alert"))
            #expect(Self.text(page).contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        }
    }

    @Test func velocityFlagsASpikeExactly() {
        // 7 days of 168 actions average 1 an hour; 72 in the last day is 3 an hour: a spike.
        #expect(Velocity(last24Hours: Amount(units: 72), last7Days: Amount(units: 168)).isSpike)
        #expect(!Velocity(last24Hours: Amount(micros: 71_999_999), last7Days: Amount(units: 168)).isSpike)
        // Too few actions to matter.
        #expect(!Velocity(last24Hours: Amount(units: 9), last7Days: Amount(units: 9)).isSpike)
        #expect(Velocity(last24Hours: Amount(units: 24), last7Days: Amount(units: 168)).perHour24 == Amount(units: 1))
    }
}
