import Foundation
import HTTPTypes
import Hummingbird
import TributeCore
import TributeStore

/// The web dashboard at `/` (SPEC §7): server-rendered pages over the same store as the API,
/// signed in with an API key that starts a server-side session (see `DashboardSession`). A
/// viewer key sees its workspaces; an admin key sees all of them and the admin view.
struct Dashboard<Store: TributeStore>: Sendable {
    let api: API<Store>
    var store: Store { api.store }

    func register(_ routes: inout RouteTable) {
        routes.on("/", .get, Dashboard.page { request, _ in try await home(request) })
        routes.on("/sign-in", .get) { _, _ in Dashboard.html(Dashboard.signInPage(error: nil)) }
        routes.on("/sign-in", .post) { request, _ in try await signIn(request) }
        routes.on("/sign-out", .post) { request, _ in try await signOut(request) }
        routes.on("/workspaces/{id}", .get, Dashboard.page { request, context in try await workspace(request, context) })
        routes.on("/workspaces/{id}/live", .get) { request, context in
            let (principal, id) = try await signedIn(request, context, roles: .anyRole)
            // The page names (`after`) the position it was rendered at, so nothing between
            // the render and this connection is missed. The stream counts against its key's
            // cap and ends when the sign-in no longer holds (signed out, key revoked).
            return try await LiveStream.response(hub: api.streams, workspaceId: id, keyId: principal.keyId, request: request, context: context) { [store] in
                // The re-check spends no rate-limit token (opening the stream did), as on
                // the API's stream.
                guard let now = try? await DashboardSession.principal(request, store: store) else { return false }
                return Set<Role>.anyRole.contains(now.role) && now.canAccess(workspaceId: id)
            }
        }
        routes.on("/workspaces/{id}/usage.csv", .get) { request, context in
            let (_, id) = try await signedIn(request, context, roles: .anyRole)
            let report = try await usage30Days(id)
            return API<Store>.text(report.csv, contentType: "text/csv; charset=utf-8",
                            headers: [.contentDisposition: "attachment; filename=\"\(id)-usage.csv\""])
        }
        routes.on("/workspaces/{id}/purchases", .post, Dashboard.page { request, context in try await buy(request, context) })
        routes.on("/admin", .get, Dashboard.page { request, _ in try await admin(request, notice: nil) })
        routes.on("/admin/action-costs", .post, Dashboard.page { request, _ in
            try await adminForm(request) { form in
                guard let type = form["actionType"], API<Store>.isActionType(type) else {
                    throw APIError.invalid("An action type is 1 to 64 characters of A-Z, 0-9 and _")
                }
                let cost = try await store.setActionCost(actionType: type, baseCost: try Dashboard.amount(form["baseCost"], "Base cost", max: API<Store>.maxUnitPrice))
                return "\(type) costs \(HTML.amount(cost.baseCost)) (version \(cost.version))."
            }
        })
        routes.on("/admin/action-costs/{actionType}", .get, Dashboard.page { request, context in
            let principal = try await signedIn(request, roles: .admin)
            let type = try API<Store>.actionType(context)
            return Dashboard.html(CostHistoryPage(actionType: type, versions: try await store.actionCostHistory(actionType: type)).render(principal: principal))
        })
        routes.on("/admin/action-costs/{actionType}", .post, Dashboard.page { request, context in
            let type = try API<Store>.actionType(context)
            return try await adminForm(request) { form in
                let cost = try await store.setActionCost(actionType: type, baseCost: try Dashboard.amount(form["baseCost"], "Base cost", max: API<Store>.maxUnitPrice))
                return "\(type) costs \(HTML.amount(cost.baseCost)) (version \(cost.version))."
            }
        })
        routes.on("/admin/plans/{planId}", .post, Dashboard.page { request, context in
            let planId = try API<Store>.parameter(context, "planId")
            guard Fields.isIdentifier(planId) else { throw APIError(.planNotFound(planId)) }
            return try await adminForm(request) { form in
                guard let name = form["name"] else { throw APIError.invalid("A plan needs a name") }
                try Fields.checkText(name, name: "The plan's name", maxBytes: 200)
                guard let policy = form["overagePolicy"].flatMap(OveragePolicy.init(rawValue:)) else { throw APIError.invalid("Overage is block or credits") }
                guard let price = form["priceCents"].flatMap({ Int64($0) }), API<Store>.planPriceCents.contains(price) else {
                    throw APIError.invalid("Price is a whole number of cents")
                }
                let plan = Plan(id: planId, name: name, monthlyAllowance: try Dashboard.amount(form["monthlyAllowance"], "Allowance", max: .max),
                                overagePolicy: policy, overageRate: try Dashboard.amount(form["overageRate"], "Rate", max: API<Store>.maxUnitPrice), priceCents: price)
                _ = try await store.putPlan(plan)
                return "Plan \(planId) saved."
            }
        })
        routes.on("/admin/keys", .post, Dashboard.page { request, _ in
            try await adminForm(request) { form in
                guard let role = form["role"].flatMap(Role.init(rawValue:)) else { throw APIError.invalid("Choose a role") }
                let ids = (form["workspaceIds"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                guard ids.count <= 100, ids.allSatisfy(Fields.isIdentifier) else { throw APIError.invalid("Workspaces are ids separated by commas") }
                if let problem = API<Store>.keyScopeProblem(role: role, workspaceIds: ids) { throw APIError.invalid(problem) }
                let rateLimit = try RateLimit.form(perSecond: form["ratePerSecond"], burst: form["rateBurst"])
                if let name = form["name"] { try Fields.checkText(name, name: "The key's name", maxBytes: 200) }
                let (view, secret) = try await store.createAPIKey(role: role, workspaceIds: ids, name: form["name"], rateLimit: rateLimit)
                // Shown once, in this page only; it is never stored or logged.
                return "Key \(view.id) (\(role.rawValue)) created: \(secret) — copy it now, it will not be shown again."
            }
        })
        routes.on("/admin/keys/{keyId}/revoke", .post, Dashboard.page { request, context in
            let keyId = try API<Store>.parameter(context, "keyId")
            return try await adminForm(request) { _ in
                let principal = try await signedIn(request, roles: .admin)
                guard keyId != principal.keyId else { throw APIError.invalid("A key cannot revoke itself") }
                try await store.revokeAPIKey(id: keyId)
                return "Key \(keyId) revoked."
            }
        })
        routes.on("/assets/dashboard.css", .get) { _, _ in Dashboard.asset(DashboardAssets.css, type: "text/css; charset=utf-8") }
        routes.on("/assets/dashboard.js", .get) { _, _ in Dashboard.asset(DashboardAssets.js, type: "text/javascript; charset=utf-8") }
    }

    // MARK: Pages

    func home(_ request: Request) async throws -> Response {
        guard let principal = try await DashboardSession.principal(request, store: store) else { return Dashboard.redirect("/sign-in") }
        if principal.role == .admin { return Dashboard.redirect("/admin") }
        if principal.workspaceIds.count == 1 { return Dashboard.redirect("/workspaces/\(principal.workspaceIds[0])") }
        var items = ""
        for id in principal.workspaceIds { items += #"<li><a href="/workspaces/\#(HTML.escape(id))">\#(HTML.escape(id))</a></li>"# }
        if principal.workspaceIds.isEmpty { items = "<li>This key acts on every workspace; open one at /workspaces/&lt;id&gt;.</li>" }
        return Dashboard.html(HTML.page(title: "Workspaces", principal: principal, body: "<h1>Workspaces</h1><ul>\(items)</ul>"))
    }

    func signIn(_ request: Request) async throws -> Response {
        let form = FormBody(try await API<Store>.bytes(request))
        guard DashboardSession.isSameOrigin(request) else { return Dashboard.html(Dashboard.signInPage(error: "Sign in from this page."), status: .forbidden) }
        let refused = Dashboard.html(Dashboard.signInPage(error: "That key is not valid, or it was revoked."), status: .unauthorized)
        guard let key = form["key"], key.utf8.count <= 512, let principal = try await store.principal(secret: key) else { return refused }
        let secret: String
        do {
            secret = try await store.createDashboardSession(keyId: principal.keyId)
        } catch TributeError.apiKeyNotFound {
            return refused // revoked since it was checked
        }
        // A sign-in replaces the browser's earlier session rather than leaving it alive.
        if let earlier = DashboardSession.secret(request) { try await store.endDashboardSession(sessionSecret: earlier) }
        var response = Dashboard.redirect("/")
        response.headers.append(HTTPField(name: .setCookie, value: DashboardSession.setCookie(secret, for: request)))
        response.headers.append(HTTPField(name: .setCookie, value: DashboardSession.clearCookie(DashboardSession.legacyCookieName, for: request)))
        return response
    }

    /// Ends the browser's session on the server, then forgets its cookie.
    func signOut(_ request: Request) async throws -> Response {
        if let secret = DashboardSession.secret(request) { try await store.endDashboardSession(sessionSecret: secret) }
        var response = Dashboard.redirect("/sign-in")
        response.headers.append(HTTPField(name: .setCookie, value: DashboardSession.clearCookie(for: request)))
        response.headers.append(HTTPField(name: .setCookie, value: DashboardSession.clearCookie(DashboardSession.legacyCookieName, for: request)))
        return response
    }

    func workspace(_ request: Request, _ context: TributeContext) async throws -> Response {
        let (principal, id) = try await signedIn(request, context, roles: .anyRole)
        return Dashboard.html(try await workspacePage(principal: principal, id: id, notice: nil).render(principal: principal))
    }

    func workspacePage(principal: Principal, id: String, notice: String?) async throws -> WorkspacePage {
        // Read first: whatever happens after it reaches the page through the stream.
        let position = try await store.streamPosition(workspaceId: id)
        let view = try await store.workspace(id: id)
        let canBuy = api.stripe != nil && principal.role != .viewer
        return WorkspacePage(
            workspace: view, plan: try await store.plans().first { $0.id == view.planId },
            budgets: try await store.budgets(workspaceId: id),
            usage: try await usage30Days(id),
            decisions: try await store.decisions(workspaceId: id, limit: 20, cursor: nil, approved: nil).items,
            transactions: try await store.transactions(workspaceId: id, limit: 10, cursor: nil).items,
            purchases: try await store.purchases(workspaceId: id, limit: 5, cursor: nil).items,
            packages: canBuy ? try await store.creditPackages() : nil, notice: notice, position: position)
    }

    /// The 30 days the page and its CSV show, as the API's default `?days=30`.
    func usage30Days(_ id: String) async throws -> UsageReport {
        let toMillis = API<Store>.endOfToday(nowMillis: store.nowMillis())
        return try await store.usage(workspaceId: id, fromMillis: toMillis - 30 * 86_400_000, toMillis: toMillis)
    }

    func buy(_ request: Request, _ context: TributeContext) async throws -> Response {
        let (principal, id) = try await signedIn(request, context, roles: .adminOrService)
        guard DashboardSession.isSameOrigin(request) else { throw APIError(.forbidden("Use the dashboard's own form")) }
        let form = FormBody(try await API<Store>.bytes(request))
        guard let packageId = form["packageId"], Fields.isIdentifier(packageId) else { throw APIError.invalid("Choose a package") }
        let notice: String
        do {
            let (purchase, intent) = try await api.startPurchase(workspaceId: id, packageId: packageId, paymentMethod: nil)
            notice = "Purchase \(purchase.id) is waiting for payment (Stripe PaymentIntent \(intent.id)); the credits arrive when Stripe reports it paid."
        } catch let error as APIError where error.code != "payments_not_configured" {
            notice = "The purchase did not start: \(error.message)"
        }
        return Dashboard.html(try await workspacePage(principal: principal, id: id, notice: notice).render(principal: principal))
    }

    func admin(_ request: Request, notice: String?) async throws -> Response {
        let principal = try await signedIn(request, roles: .admin)
        let cursor = request.uri.queryParameters.get("cursor").map { String($0) }
        if let cursor, cursor.isEmpty || cursor.utf8.count > 40 { throw APIError.invalid("cursor is not one this service gave") }
        let workspaces = try await store.workspaces(limit: 50, cursor: cursor)
        let page = AdminPage(
            workspaces: workspaces, velocities: try await store.velocities(workspaceIds: workspaces.items.map(\.id), nowMillis: store.nowMillis()),
            costs: try await store.actionCosts(), plans: try await store.plans(), keys: try await store.apiKeys(), notice: notice)
        return Dashboard.html(page.render(principal: principal))
    }

    /// An admin form post: checked, applied by `apply`, answered with the admin page and
    /// what happened (or why not, with 422 and nothing changed).
    func adminForm(_ request: Request, _ apply: (FormBody) async throws -> String) async throws -> Response {
        _ = try await signedIn(request, roles: .admin)
        guard DashboardSession.isSameOrigin(request) else { throw APIError(.forbidden("Use the dashboard's own forms")) }
        let form = FormBody(try await API<Store>.bytes(request))
        do {
            return try await admin(request, notice: try await apply(form))
        } catch let error as APIError where error.status == .unprocessableContent || error.status == .badRequest {
            var response = try await admin(request, notice: error.message)
            response.status = .unprocessableContent
            return response
        } catch let error as TributeError {
            var response = try await admin(request, notice: error.message)
            response.status = APIError(error).status
            return response
        }
    }

    // MARK: Access

    /// A page handler whose failures are answered as pages: sign-in for a missing key,
    /// an HTML error with the API's status and message for anything a caller did wrong.
    static func page(_ handler: @escaping @Sendable (Request, TributeContext) async throws -> Response) -> @Sendable (Request, TributeContext) async throws -> Response {
        { request, context in
            do {
                return try await handler(request, context)
            } catch let error as APIError where error.status == .unauthorized {
                return redirect("/sign-in")
            } catch let error as APIError {
                return html(errorPage(error.message), status: error.status)
            } catch let error as TributeError {
                return html(errorPage(error.message), status: APIError(error).status)
            }
        }
    }

    static func errorPage(_ message: String) -> String {
        HTML.page(title: "Not possible", principal: nil, body: """
            <h1>Not possible</h1><p class="error" role="alert">\(HTML.escape(message))</p><p><a href="/">Back</a> · <a href="/sign-in">Sign in with another key</a></p>
            """)
    }

    /// The signed-in key, which must have one of `roles`. Without one: 401, which `page`
    /// turns into the sign-in page.
    func signedIn(_ request: Request, roles: Set<Role>) async throws -> Principal {
        guard let principal = try await DashboardSession.principal(request, store: store) else { throw APIError(.unauthenticated) }
        // A signed-in page spends its key's tokens like a bearer call: the dashboard is no
        // way around the key's rate limit.
        try api.auth.rateLimiter.take(principal)
        guard roles.contains(principal.role) else { throw APIError(.forbidden("A \(principal.role.rawValue) key may not open this")) }
        return principal
    }

    /// Like `signedIn`, and the key must be allowed on the path's workspace.
    func signedIn(_ request: Request, _ context: TributeContext, roles: Set<Role>) async throws -> (Principal, String) {
        let principal = try await signedIn(request, roles: roles)
        let id = try API<Store>.workspaceId(context)
        guard principal.canAccess(workspaceId: id) else { throw APIError(.forbidden("This key may not open workspace \"\(id)\"")) }
        return (principal, id)
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

    static func amount(_ text: String?, _ name: String, max: Amount) throws -> Amount {
        guard let text, let value = try? Amount.parse(text), !value.isNegative, value <= max else {
            throw APIError.invalid("\(name) must be a number from 0 to \(HTML.amount(max)) with at most six decimals")
        }
        return value
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
