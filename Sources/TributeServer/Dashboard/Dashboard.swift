import Foundation
import HTTPTypes
import Hummingbird
import TributeCore
import TributeStore

/// The web dashboard at `/` (SPEC §7): server-rendered pages over the same store as the API,
/// signed in with an API key that starts a server-side session (see `DashboardSession`). A
/// viewer key sees its workspaces; an admin key sees all of them and the admin view.
///
/// Access is the API's: `Auth.requireSession` admits the signed-in key (its rate limit,
/// role and workspace) before any handler runs. The admin forms are in `Dashboard+Admin`.
struct Dashboard<Store: TributeStore>: Sendable {
    let store: Store
    let auth: Auth<Store>
    let purchases: CreditPurchases<Store>
    /// The live streams, shared with the API's: their caps count both.
    let streams: StreamHub<Store>
    /// Which webhook URLs an admin may register, as for the API.
    let webhookURLs: WebhookURLPolicy
    /// The caps on budgets, webhook endpoints and keys, as for the API.
    let limits: CollectionLimits
    /// Failed sign-ins per client address (`DashboardSession.failedSignInLimit`).
    let failedSignIns: AddressRateLimiter

    var endpoints: RouteCollection<TributeContext> {
        let routes = RouteCollection(context: TributeContext.self)
        routes.get("/sign-in", use: signInForm)
            .post("/sign-in", use: signIn)
            .post("/sign-out", use: signOut)
            .get("/assets/dashboard.css", use: stylesheet)
            .get("/assets/dashboard.js", use: script)
        // What the pages' script fetches: failures are the API's JSON errors.
        routes.group().add(middleware: auth.requireSession(.anyRole, workspaceFrom: "id"))
            .get("/workspaces/{id}/live", use: live)
            .get("/workspaces/{id}/usage.csv", use: usageCSV)
            .get("/workspaces/{id}/statements/{number}/csv", use: statementCSV)
        // Pages: a failure is a page too, a missing sign-in the sign-in page (`PageErrors`).
        let pages = routes.group().add(middleware: PageErrors())
        pages.get("/", use: home)
        pages.group().add(middleware: auth.requireSession(.anyRole, workspaceFrom: "id"))
            .get("/workspaces/{id}", use: workspace)
            .get("/workspaces/{id}/decisions/{decisionId}", use: decision)
            .get("/workspaces/{id}/statements/{number}", use: statement)
        pages.group().add(middleware: auth.requireSession(.adminOrService, workspaceFrom: "id"))
            .post("/workspaces/{id}/purchases", use: buy)
            .post("/workspaces/{id}/holds/{holdId}/release", use: releaseHold)
            .post("/workspaces/{id}/budgets", use: putBudget)
            .post("/workspaces/{id}/budgets/delete", use: deleteBudget)
        // The admin console (`Dashboard+Workspaces`, `+Decisions`, `+Webhooks`, `+Admin`).
        pages.group().add(middleware: auth.requireSession(.admin, workspaceFrom: "id"))
            .post("/workspaces/{id}/settings", use: saveWorkspace)
            .post("/workspaces/{id}/status", use: setWorkspaceStatus)
            .post("/workspaces/{id}/credit-grants", use: grantCredits)
            .post("/workspaces/{id}/auto-topup", use: putAutoTopup)
            .post("/workspaces/{id}/decisions/{decisionId}/reverse", use: reverseDecision)
        pages.group().add(middleware: auth.requireSession(.admin))
            .get("/admin", use: admin)
            .post("/admin/workspaces", use: createWorkspace)
            .post("/admin/webhook-endpoints", use: createWebhookEndpoint)
            .get("/admin/webhook-endpoints/{endpointId}", use: webhookDeliveries)
            .post("/admin/webhook-endpoints/{endpointId}/delete", use: deleteWebhookEndpoint)
            .post("/admin/action-costs", use: setActionCost)
            .get("/admin/action-costs/{actionType}", use: actionCostHistory)
            .post("/admin/action-costs/{actionType}", use: setActionCost)
            .post("/admin/plans/{planId}", use: putPlan)
            .post("/admin/keys", use: createKey)
            .post("/admin/keys/{keyId}/revoke", use: revokeKey)
            .post("/admin/keys/{keyId}/status", use: setKeyStatus)
        return routes
    }

    // MARK: Pages

    /// Where a browser starts: the sign-in page, the admin view, or the key's workspaces.
    @Sendable func home(_ request: Request, _ context: TributeContext) async throws -> Response {
        guard let principal = try await DashboardSession.principal(request, store: store) else { return Dashboard.redirect("/sign-in") }
        if principal.role == .admin { return Dashboard.redirect("/admin") }
        if principal.workspaceIds.count == 1 { return Dashboard.redirect("/workspaces/\(principal.workspaceIds[0])") }
        var items = ""
        for id in principal.workspaceIds { items += #"<li><a href="/workspaces/\#(HTML.escape(id))">\#(HTML.escape(id))</a></li>"# }
        if principal.workspaceIds.isEmpty { items = "<li>This key acts on every workspace; open one at /workspaces/&lt;id&gt;.</li>" }
        return Dashboard.html(HTML.page(title: "Workspaces", principal: principal, body: "<h1>Workspaces</h1><ul>\(items)</ul>"))
    }

    @Sendable func signInForm(_ request: Request, _ context: TributeContext) async throws -> Response {
        Dashboard.html(Dashboard.signInPage(error: nil))
    }

    /// Starts a session for the form's key. Every sign-in is a write, so it is limited
    /// before anything is written: a valid key takes a token from its own rate limit (the
    /// bucket its API calls and signed-in pages take from), and a key that does not verify
    /// takes one from its client address's bucket (`failedSignIns`). An address out of
    /// tokens is refused before its key is even looked up. Past either limit the answer is
    /// the sign-in page with `429` and `Retry-After`, and nothing is written.
    @Sendable func signIn(_ request: Request, _ context: TributeContext) async throws -> Response {
        let form = FormBody(try await API.bytes(request))
        guard DashboardSession.isSameOrigin(request) else { return Dashboard.html(Dashboard.signInPage(error: "Sign in from this page."), status: .forbidden) }
        // A peer without an IP address (a test's channel) is not counted, as for the API.
        let address = context.clientAddress
        let counted = address != .unknown
        if counted, case let outcome = failedSignIns.peek(address), !outcome.allowed { return Dashboard.tooManySignIns(outcome) }
        guard let key = form["key"], key.utf8.count <= 512, let principal = try await store.principal(secret: key) else {
            if counted, case let outcome = failedSignIns.take(address), !outcome.allowed { return Dashboard.tooManySignIns(outcome) }
            return Dashboard.html(Dashboard.signInPage(error: Dashboard.invalidKey), status: .unauthorized)
        }
        do {
            try auth.takeTurn(principal)
        } catch let frozen as APIError where frozen.code == APIError.keyFrozen.code {
            return Dashboard.html(Dashboard.signInPage(error: frozen.message), status: .forbidden)
        } catch let limited as APIError where limited.status == .tooManyRequests {
            return Dashboard.tooManySignIns(limited.headers, fromAddress: false)
        }
        let secret: String
        do {
            secret = try await store.createDashboardSession(keyId: principal.keyId)
        } catch TributeError.apiKeyNotFound {
            // Revoked since it was checked.
            return Dashboard.html(Dashboard.signInPage(error: Dashboard.invalidKey), status: .unauthorized)
        }
        // A sign-in replaces the browser's earlier session rather than leaving it alive.
        if let earlier = DashboardSession.secret(request) { try await store.endDashboardSession(sessionSecret: earlier) }
        var response = Dashboard.redirect("/")
        response.headers.append(HTTPField(name: .setCookie, value: DashboardSession.setCookie(secret, for: request)))
        response.headers.append(HTTPField(name: .setCookie, value: DashboardSession.clearCookie(DashboardSession.legacyCookieName, for: request)))
        return response
    }

    /// Ends the browser's session on the server, then forgets its cookie.
    @Sendable func signOut(_ request: Request, _ context: TributeContext) async throws -> Response {
        if let secret = DashboardSession.secret(request) { try await store.endDashboardSession(sessionSecret: secret) }
        var response = Dashboard.redirect("/sign-in")
        response.headers.append(HTTPField(name: .setCookie, value: DashboardSession.clearCookie(for: request)))
        response.headers.append(HTTPField(name: .setCookie, value: DashboardSession.clearCookie(DashboardSession.legacyCookieName, for: request)))
        return response
    }

    @Sendable func workspace(_ request: Request, _ context: TributeContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let page = try await workspacePage(principal: principal, id: try context.requireWorkspaceId(), notice: Flash.notice(request),
                                           budgetsCursor: try API.cursor(request, name: "budgets", maxBytes: BudgetPages.maxCursorBytes))
        return Dashboard.clearingFlash(Dashboard.html(page.render(principal: principal)), of: request)
    }

    /// Budgets shown on one workspace page; the page links to the next ones (`?budgets=`).
    static var budgetsPerPage: Int { 50 }

    /// The workspace page, its budgets from `budgetsCursor` (the first ones when `nil`).
    func workspacePage(principal: Principal, id: String, notice: String?, budgetsCursor: String? = nil) async throws -> WorkspacePage {
        // Read first: whatever happens after it reaches the page through the stream.
        let position = try await store.streamPosition(workspaceId: id)
        let view = try await store.workspace(id: id)
        let canBuy = purchases.isEnabled && principal.role != .viewer
        return WorkspacePage(
            workspace: view, plans: try await store.plans(),
            budgets: try await store.budgets(workspaceId: id, limit: Dashboard.budgetsPerPage, cursor: budgetsCursor), budgetsCursor: budgetsCursor,
            holds: try await store.holds(workspaceId: id, status: .open, limit: 20, cursor: nil).items, canRelease: principal.role != .viewer,
            usage: try await usage30Days(id),
            decisions: try await store.decisions(workspaceId: id, limit: 20, cursor: nil, approved: nil).items,
            transactions: try await store.transactions(workspaceId: id, limit: 10, cursor: nil).items,
            purchases: try await store.purchases(workspaceId: id, limit: 5, cursor: nil).items,
            packages: canBuy ? try await store.creditPackages() : nil,
            autoTopup: try await store.autoTopup(workspaceId: id), autoTopupAttempts: try await store.autoTopupAttempts(workspaceId: id, limit: 10),
            allPackages: principal.role == .admin ? try await store.creditPackages() : [],
            grants: principal.role == .admin ? try await store.grants(workspaceId: id, limit: WorkspacePage.grantsShown, cursor: nil).items : [],
            statements: try await store.statements(workspaceId: id),
            nowMillis: store.nowMillis(),
            notice: notice, position: position)
    }

    /// The page's live stream. The page names (`after`) the position it was rendered at, so
    /// nothing between the render and this connection is missed. The stream counts against
    /// its key's cap, its catch-up pages take from its key's rate limit, and it ends when the
    /// sign-in no longer holds (signed out, key revoked).
    @Sendable func live(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try context.requireWorkspaceId()
        let principal = try context.requirePrincipal()
        return try await LiveStream.response(
            hub: streams, workspaceId: id, keyId: principal.keyId, request: request, context: context,
            charge: .tokens(of: principal, from: auth.rateLimiter),
            isAuthorized: auth.stillAdmits(request, by: .dashboardSession, roles: .anyRole, workspaceId: id))
    }

    @Sendable func usageCSV(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try context.requireWorkspaceId()
        let report = try await usage30Days(id)
        return API.text(report.csv, contentType: "text/csv; charset=utf-8",
                        headers: [.contentDisposition: "attachment; filename=\"\(id)-usage.csv\""])
    }

    /// The 30 days the page and its CSV show, as the API's default `?days=30`.
    func usage30Days(_ id: String) async throws -> UsageReport {
        let toMillis = LedgerRoutes<Store>.endOfToday(nowMillis: store.nowMillis())
        return try await store.usage(workspaceId: id, fromMillis: toMillis - 30 * 86_400_000, toMillis: toMillis)
    }

    @Sendable func buy(_ request: Request, _ context: TributeContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = try context.requireWorkspaceId()
        guard DashboardSession.isSameOrigin(request) else { throw APIError.forbidden("Use the dashboard's own form") }
        let form = FormBody(try await API.bytes(request))
        try form.checkText()
        guard let packageId = form["packageId"], Fields.isIdentifier(packageId) else { throw APIError.invalid("Choose a package") }
        let notice: String
        do {
            let (purchase, intent) = try await purchases.start(workspaceId: id, packageId: packageId, paymentMethod: nil)
            notice = "Purchase \(purchase.id) is waiting for payment (Stripe PaymentIntent \(intent.id)); the credits arrive when Stripe reports it paid."
        } catch let error as APIError where error.code != "payments_not_configured" {
            notice = "The purchase did not start: \(error.message)"
        }
        return Dashboard.html(try await workspacePage(principal: principal, id: id, notice: notice).render(principal: principal))
    }

    @Sendable func stylesheet(_ request: Request, _ context: TributeContext) async throws -> Response {
        Dashboard.asset(DashboardAssets.css, type: "text/css; charset=utf-8")
    }

    @Sendable func script(_ request: Request, _ context: TributeContext) async throws -> Response {
        Dashboard.asset(DashboardAssets.js, type: "text/javascript; charset=utf-8")
    }

    static func errorPage(_ message: String) -> String {
        HTML.page(title: "Not possible", principal: nil, body: """
            <h1>Not possible</h1><p class="error" role="alert">\(HTML.escape(message))</p><p><a href="/">Back</a> · <a href="/sign-in">Sign in with another key</a></p>
            """)
    }

    // MARK: Responses

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
        // Pages load only their own style and script, and no other site may frame them.
        headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "max-age=300"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static var invalidKey: String { "That key is not valid, or it was revoked." }

    /// The sign-in page answered `429` for an address out of failed sign-ins, with
    /// `Retry-After` and `RateLimit-*` as the API's own `429`.
    static func tooManySignIns(_ outcome: TokenBucket.Outcome) -> Response {
        var headers: HTTPFields = [.retryAfter: String(outcome.retryAfterSeconds)]
        headers.append(rateLimitFieldsOf: outcome)
        return tooManySignIns(headers, fromAddress: true)
    }

    /// The sign-in page answered `429` with `headers` (`Retry-After`, `RateLimit-*`): too
    /// many sign-ins with one key, or too many failed ones from one address.
    static func tooManySignIns(_ headers: HTTPFields, fromAddress: Bool) -> Response {
        let retry = headers[.retryAfter].map { " Try again in \($0) s." } ?? ""
        let message = fromAddress
            ? "Too many sign-ins with keys that are not valid came from your address.\(retry)"
            : "This key has signed in more often than its rate limit allows.\(retry)"
        var response = html(signInPage(error: message), status: .tooManyRequests)
        response.headers.append(contentsOf: headers)
        return response
    }

    static func signInPage(error: String?) -> String {
        HTML.page(title: "Sign in", principal: nil, body: """
            <h1>Sign in</h1>
            <form method="post" action="/sign-in" class="sign-in">
            \(error.map { #"<p class="error" role="alert">\#(HTML.escape($0))</p>"# } ?? "")
            <label for="key">API key</label>
            <input id="key" name="key" type="password" autocomplete="off" required autofocus>
            <p class="hint">A viewer key opens its workspaces; an admin key opens everything. The key is checked and not kept: this browser gets a session that ends when you sign out, after \(DashboardSessionPolicy.lifetimeMillis / 3_600_000) hours, or when the key is revoked.</p>
            <button type="submit">Sign in</button>
            </form>
            """)
    }
}
