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
import TributeStore
import TributeTestSupport

/// The dashboard's sign-in, access rules and forms, through the router. (The pages in a
/// real browser: Tests/Browser/dashboard_test.py.)
@Suite struct DashboardTests {
    static func cookie(_ session: String) -> HTTPFields { [.cookie: "tribute_session=\(session)"] }

    static func form(_ text: String, cookie session: String, crossSite: Bool = false) -> HTTPFields {
        var headers: HTTPFields = [.cookie: "tribute_session=\(session)", .contentType: "application/x-www-form-urlencoded"]
        headers[HTTPField.Name("Sec-Fetch-Site")!] = crossSite ? "cross-site" : "same-origin"
        return headers
    }

    static func text(_ response: TestResponse) -> String { String(buffer: response.body) }

    /// Posts the sign-in form with `key`.
    static func signInResponse(_ client: any TestClientProtocol, _ key: String, headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        headers.append(contentsOf: extra)
        return try await client.execute(uri: "/sign-in", method: .post, headers: headers,
                                        body: ByteBuffer(string: "key=" + (key.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? key)))
    }

    /// The `tribute_session` cookie a response sets, whole (`name=value; attributes`).
    static func sessionCookie(_ response: TestResponse) -> String? {
        response.headers[values: .setCookie].first { $0.hasPrefix("tribute_session=") }
    }

    /// Signs in with `key` and returns the session's secret, the cookie's value.
    static func session(_ client: any TestClientProtocol, _ key: String) async throws -> String {
        let response = try await signInResponse(client, key)
        try #require(response.status == .seeOther)
        let cookie = try #require(sessionCookie(response))
        return String(cookie.dropFirst("tribute_session=".count).prefix { $0 != ";" })
    }

    @Test func signingInSetsAnHttpOnlyStrictCookieAndNeverPutsTheKeyInAURL() async throws {
        let fixture = try await APIFixture(.sqlite)
        try await fixture.test { client in
            let start = try await client.execute(uri: "/", method: .get)
            #expect(start.status == .seeOther && start.headers[.location] == "/sign-in")
            let wrong = try await client.execute(uri: "/sign-in", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                 body: ByteBuffer(string: "key=trb_nope"))
            #expect(wrong.status == .unauthorized)
            #expect(Self.text(wrong).contains("not valid") && wrong.headers[.setCookie] == nil)
            let right = try await Self.signInResponse(client, fixture.adminKey)
            #expect(right.status == .seeOther && right.headers[.location] == "/")
            let cookie = try #require(Self.sessionCookie(right))
            #expect(cookie.contains("; HttpOnly") && cookie.contains("; SameSite=Strict") && cookie.contains("; Path=/") && !cookie.contains("Max-Age"))
            // The cookie of the days before sessions, which held the key, is expired.
            #expect(right.headers[values: .setCookie].contains { $0.hasPrefix("tribute_key=;") && $0.contains("Max-Age=0") })
            #expect(!right.headers[values: .setCookie].contains { $0.contains(fixture.adminKey) })
            let session = try await Self.session(client, fixture.adminKey)
            let admin = try await client.execute(uri: "/", method: .get, headers: Self.cookie(session))
            #expect(admin.headers[.location] == "/admin")
            let page = try await client.execute(uri: "/admin", method: .get, headers: Self.cookie(session))
            #expect(page.status == .ok && !Self.text(page).contains(fixture.adminKey) && !Self.text(page).contains(session))
            #expect(page.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("default-src 'self'") == true)
        }
    }

    @Test(arguments: Backend.allCases)
    func theCookieHoldsARandomSessionWhoseStoredRowIsOnlyItsHash(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        let keyId = try #require(try await fixture.store.principal(secret: fixture.adminKey)).keyId
        let (first, second) = try await fixture.test { client in
            (try await Self.session(client, fixture.adminKey), try await Self.session(client, fixture.adminKey))
        }
        for session in [first, second] {
            #expect(session != fixture.adminKey && !session.contains(fixture.adminKey) && !session.contains(String(fixture.adminKey.dropFirst(4).prefix(12))))
            #expect(DashboardSessionPolicy.isWellFormed(session))
        }
        #expect(first != second)
        let rows = try await fixture.store.dashboardSessions(keyId: keyId)
        #expect(rows.map(\.secretHash) == [Hex.sha256(second), Hex.sha256(first)])
        for row in rows {
            #expect(row.keyId == keyId && row.expiresAtMillis - row.createdAtMillis == DashboardSessionPolicy.lifetimeMillis)
            for secret in [first, second, fixture.adminKey] { #expect(!row.secretHash.contains(secret)) }
        }
    }

    @Test(arguments: Backend.allCases)
    func signingOutEndsTheSessionOnTheServerSoTheOldCookieOpensNothing(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: .one)
        let keyId = try #require(try await fixture.store.principal(secret: fixture.adminKey)).keyId
        try await fixture.test { client in
            let session = try await Self.session(client, fixture.adminKey)
            #expect(try await client.execute(uri: "/admin", method: .get, headers: Self.cookie(session)).status == .ok)
            let out = try await client.execute(uri: "/sign-out", method: .post, headers: Self.form("", cookie: session))
            #expect(out.status == .seeOther && out.headers[.location] == "/sign-in")
            #expect(Self.sessionCookie(out)?.hasPrefix("tribute_session=;") == true && Self.sessionCookie(out)?.contains("Max-Age=0") == true)
            #expect(try await fixture.store.dashboardSessions(keyId: keyId).isEmpty)
            try await Self.expectRefused(client, cookie: "tribute_session=\(session)")
        }
    }

    @Test(arguments: Backend.allCases)
    func revokingTheKeyEndsItsSessions(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: .one)
        let viewer = try await fixture.key(.viewer, ["w"])
        let viewerId = try #require(try await fixture.store.principal(secret: viewer)).keyId
        try await fixture.test { client in
            let session = try await Self.session(client, viewer)
            #expect(try await client.execute(uri: "/workspaces/w", method: .get, headers: Self.cookie(session)).status == .ok)
            #expect(try await client.send(.delete, "/v1/api-keys/\(viewerId)", key: fixture.adminKey).status == .noContent)
            try await Self.expectRefused(client, cookie: "tribute_session=\(session)")
            let again = try await Self.signInResponse(client, viewer)
            #expect(again.status == .unauthorized && Self.sessionCookie(again) == nil)
        }
    }

    /// Sign-in page for pages, 401 for the live stream and the CSV.
    static func expectRefused(_ client: any TestClientProtocol, cookie: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let headers: HTTPFields = [.cookie: cookie]
        for path in ["/", "/admin", "/workspaces/w"] {
            let page = try await client.execute(uri: path, method: .get, headers: headers)
            #expect(page.status == .seeOther && page.headers[.location] == "/sign-in", "\(path) with \(cookie)", sourceLocation: sourceLocation)
        }
        for path in ["/workspaces/w/live", "/workspaces/w/usage.csv"] {
            #expect(try await client.execute(uri: path, method: .get, headers: headers).status == .unauthorized, "\(path) with \(cookie)", sourceLocation: sourceLocation)
        }
    }

    /// Auto top-up on the workspace page: the card without its number, the state and the
    /// attempts for every key that sees the workspace; the settings form for an admin only.
    @Test func theWorkspacePageShowsAutoTopUpAndOnlyAnAdminItsForm() async throws {
        let fixture = try await APIFixture(.sqlite)
        try await fixture.workspace("w", credits: Amount(units: 60))
        _ = try await fixture.store.saveCard(workspaceId: "w", card: SavedCard(paymentMethodId: "pm_1", brand: "visa", last4: "4242", fingerprint: "fp"),
                                             customerId: "cus_1")
        _ = try await fixture.store.putAutoTopup(workspaceId: "w", settings: AutoTopupSettings(
            enabled: true, packageId: "starter", threshold: Amount(units: 70), mode: .threshold, limits: AutoTopup.Limits(maxCentsPerMonth: 5_000)))
        _ = try await fixture.store.claimAutoTopups(limit: 10, leaseMillis: 60_000)
        let viewer = try await fixture.store.createAPIKey(role: .viewer, workspaceIds: ["w"], name: "viewer").1
        try await fixture.test { client in
            let admin = try await client.execute(uri: "/workspaces/w", method: .get, headers: Self.cookie(try await Self.session(client, fixture.adminKey)))
            let html = Self.text(admin)
            #expect(html.contains("visa ending 4242") && html.contains("State: <strong>pending</strong>") && html.contains(#"id="auto-topup-form""#))
            #expect(html.contains(#"<table id="auto-topup-attempts""#) && html.contains("$10.00") && !html.contains("pm_1"))
            let seen = try await client.execute(uri: "/workspaces/w", method: .get, headers: Self.cookie(try await Self.session(client, viewer)))
            #expect(Self.text(seen).contains("visa ending 4242") && !Self.text(seen).contains(#"id="auto-topup-form""#))
        }
    }

    @Test func theCookieIsSecureWhenTheRequestCameOverHTTPS() async throws {
        let fixture = try await APIFixture(.sqlite)
        let proto = HTTPField.Name("X-Forwarded-Proto")!
        try await fixture.test { client in
            for (forwarded, secure) in [(nil, false), ("http", false), ("https", true), ("HTTPS", true), ("https, http", true), ("http, https", false)] as [(String?, Bool)] {
                var headers: HTTPFields = [:]
                if let forwarded { headers[proto] = forwarded }
                let signIn = try await Self.signInResponse(client, fixture.adminKey, headers: headers)
                let cookie = try #require(Self.sessionCookie(signIn))
                #expect(cookie.contains("; Secure") == secure, "\(forwarded ?? "none"): \(cookie)")
                let session = String(cookie.dropFirst("tribute_session=".count).prefix { $0 != ";" })
                headers[.cookie] = "tribute_session=\(session)"
                let out = try await client.execute(uri: "/sign-out", method: .post, headers: headers)
                #expect(Self.sessionCookie(out)?.contains("; Secure") == secure, "\(forwarded ?? "none")")
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func aForgedOrRandomCookieIsRefused(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: .one)
        try await fixture.test { client in
            let real = try await Self.session(client, fixture.adminKey)
            let forged = [
                "tribute_session=\(fixture.adminKey)", // the key itself, where the session goes
                "tribute_key=\(fixture.adminKey)", // the key, as the cookie of the days before sessions held it
                "tribute_session=\(Hex.sha256(real))", // what the store keeps
                "tribute_session=" + DashboardSessionPolicy.secretPrefix + Identifier.randomBase62(count: DashboardSessionPolicy.secretRandomCharacters),
                "tribute_session=" + String(real.dropLast()) + (real.hasSuffix("A") ? "B" : "A"),
                "tribute_session=\(real)x", "tribute_session=", "tribute_session=" + String(repeating: "a", count: 5_000), "tribute_session=%00",
            ]
            for cookie in forged { try await Self.expectRefused(client, cookie: cookie) }
        }
    }

    @Test(arguments: Backend.allCases)
    func signInSpamKeepsAtMostTheNewestSessionsOfAKey(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        let keyId = try #require(try await fixture.store.principal(secret: fixture.adminKey)).keyId
        let sessions = try await fixture.test { client in
            var sessions: [String] = []
            for _ in 0..<(DashboardSessionPolicy.maxPerKey + 3) { sessions.append(try await Self.session(client, fixture.adminKey)) }
            return sessions
        }
        let rows = try await fixture.store.dashboardSessions(keyId: keyId)
        #expect(rows.count == DashboardSessionPolicy.maxPerKey)
        #expect(Set(rows.map(\.secretHash)) == Set(sessions.suffix(DashboardSessionPolicy.maxPerKey).map(Hex.sha256)))
        #expect(try await fixture.store.dashboardPrincipal(sessionSecret: sessions[0]) == nil)
    }

    @Test func aViewerKeyOpensOnlyItsWorkspace() async throws {
        let fixture = try await APIFixture(.sqlite)
        try await fixture.workspace("mine", credits: .one)
        try await fixture.workspace("theirs", credits: .one)
        let viewerKey = try await fixture.key(.viewer, ["mine"])
        try await fixture.test { client in
            let viewer = try await Self.session(client, viewerKey)
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
            let admin = try await Self.session(client, fixture.adminKey)
            for body in ["baseCost=abc", "baseCost=-1", "baseCost=1.0000001", "baseCost="] {
                let response = try await client.execute(uri: "/admin/action-costs/SIMPLE_LLM", method: .post, headers: Self.form(body, cookie: admin),
                                                        body: ByteBuffer(string: body))
                #expect(response.status == .unprocessableContent, "\(body)")
            }
            let crossSite = try await client.execute(uri: "/admin/action-costs/SIMPLE_LLM", method: .post,
                                                     headers: Self.form("baseCost=9", cookie: admin, crossSite: true), body: ByteBuffer(string: "baseCost=9"))
            #expect(crossSite.status == .forbidden)
            #expect(try await fixture.store.actionCostHistory(actionType: "SIMPLE_LLM").count == 1)
            let saved = try await client.execute(uri: "/admin/action-costs/SIMPLE_LLM", method: .post, headers: Self.form("baseCost=2.5", cookie: admin),
                                                 body: ByteBuffer(string: "baseCost=2.5"))
            #expect(try await AdminConsoleTests.followed(client, saved, to: "/admin", session: admin).contains("SIMPLE_LLM costs 2.5 (version 2)"))
        }
    }

    /// With payments on (localstripe), the packages show and buying one starts a purchase.
    @Test func aServiceKeyStartsAPurchaseFromTheWorkspacePage() async throws {
        guard let base = ProcessInfo.processInfo.environment["TRIBUTE_TEST_STRIPE_API_BASE"], !base.isEmpty else {
            throw PaymentsEndToEndTests.NotConfigured()
        }
        let fixture = try await APIFixture(.sqlite)
        try await fixture.workspace("w", credits: .one)
        let serviceKey = try await fixture.key(.service, ["w"])
        let app = buildApplication(store: fixture.store, stripe: StripeConfiguration(secretKey: "sk_test_dashboard", apiBase: base),
                                   host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        try await app.test(.router) { client in
            let service = try await Self.session(client, serviceKey)
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
            let page = try await client.execute(uri: "/workspaces/x", method: .get, headers: Self.cookie(try await Self.session(client, fixture.adminKey)))
            #expect(!Self.text(page).contains("<script>alert"))
            #expect(Self.text(page).contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        }
    }

    @Test func velocityFlagsASpikeExactly() {
        // 144 actions in the 6 days before the last are 1 an hour; 72 in the last day is 3
        // an hour: a spike.
        #expect(Velocity(last24Hours: Amount(units: 72), last7Days: Amount(units: 216)).isSpike)
        #expect(!Velocity(last24Hours: Amount(micros: 71_999_999), last7Days: Amount(micros: 215_999_999)).isSpike)
        // Too few actions to matter.
        #expect(!Velocity(last24Hours: Amount(units: 9), last7Days: Amount(units: 9)).isSpike)
        #expect(Velocity(last24Hours: Amount(units: 24), last7Days: Amount(units: 168)).perHour24 == Amount(units: 1))
    }

    /// A new workspace's first day is all of its history: never a spike, however busy. The
    /// average is over the hours it has existed, so steady use at any age is no spike.
    @Test func velocityFlagsOnlyWorkspacesWithHistory() {
        let hour: Int64 = 3_600_000, now: Int64 = 1_800_000_000_000
        let busy = Velocity(last24Hours: Amount(units: 500), last7Days: Amount(units: 500))
        #expect(!busy.withHistory(createdAtMillis: now - hour, nowMillis: now).isSpike)
        #expect(!busy.withHistory(createdAtMillis: now - 47 * hour, nowMillis: now).isSpike)
        // Two days old, the second day 10 times the first: a spike.
        #expect(Velocity(last24Hours: Amount(units: 100), last7Days: Amount(units: 110)).withHistory(createdAtMillis: now - 48 * hour, nowMillis: now).isSpike)
        // Three days of 10 a day: the same rate as its average.
        let steady = Velocity(last24Hours: Amount(units: 10), last7Days: Amount(units: 30)).withHistory(createdAtMillis: now - 72 * hour, nowMillis: now)
        #expect(!steady.isSpike)
        #expect(steady.perHour7Days == steady.perHour24)
        // A clock before the creation, or ages past any range, read as no history or a week.
        #expect(busy.withHistory(createdAtMillis: now, nowMillis: now - hour).historyHours == 0)
        #expect(busy.withHistory(createdAtMillis: .min, nowMillis: .max).historyHours == Velocity.weekHours)
    }
}
