import TributeCore

/// The admin view: every workspace with its consumption velocity, the action cost
/// registry, plans and keys, each editable in place.
struct AdminPage {
    var workspaces: Page<WorkspaceView>
    var velocities: [String: Velocity]
    var costs: [ActionCost]
    var plans: [Plan]
    /// Every live key, newest first (at most `CollectionLimits.apiKeys`); the page shows
    /// the first `keysShown`.
    var keys: [APIKeyView]
    var webhooks: WebhookSection
    var notice: String?
    /// Set when the page answers a form: the address a reload opens (dashboard.js).
    var settledURL: String? = nil

    /// Keys listed on the page: the newest. The API lists every one.
    static var keysShown: Int { 100 }

    func render(principal: Principal) -> String {
        let e = HTML.escape
        var body = settledURL.map { #"<h1 data-settled-url="\#(e($0))">Admin</h1>"# } ?? "<h1>Admin</h1>"
        if let notice { body += #"<p class="notice" role="status">\#(e(notice))</p>"# }
        body += """
            <section><h2>Workspaces</h2>
            <p class="hint">Velocity: actions per hour over the last 24 hours against the average of the last 7 days (of the
            workspace's life, if younger). A spike is a last day at least \(Velocity.spikeFactor)× the hourly rate of the days
            before it, with \(HTML.amount(Velocity.minimumActions)) actions in the day and \(Velocity.minimumHistoryHours) hours of history.</p>
            <table id="workspaces"><thead><tr><th scope="col">Workspace</th><th scope="col">Plan</th><th scope="col">Balance</th>
            <th scope="col">Allowance left</th><th scope="col">Actions/h, 24 h</th><th scope="col">Actions/h, 7 d</th><th scope="col">Flag</th></tr></thead><tbody>
            """
        for workspace in workspaces.items {
            let velocity = velocities[workspace.id] ?? Velocity(last24Hours: .zero, last7Days: .zero)
            let flag = velocity.isSpike ? #"<span class="denied">spike</span>"# : workspace.status == .suspended ? "suspended" : ""
            body += """
                <tr><td><a href="/workspaces/\(e(workspace.id))">\(e(workspace.name))</a> <small>\(e(workspace.id))</small></td><td>\(e(workspace.planId))</td>
                <td>\(HTML.amount(workspace.remainingBalance))</td><td>\(HTML.amount(workspace.remainingAllowance))</td>
                <td>\(HTML.amount(velocity.perHour24, decimals: 2))</td><td>\(HTML.amount(velocity.perHour7Days, decimals: 2))</td><td>\(flag)</td></tr>
                """
        }
        body += "</tbody></table>"
        if let next = workspaces.nextCursor { body += #"<p><a href="/admin?cursor=\#(e(next))">Next workspaces →</a></p>"# }
        body += """
            <form method="post" action="/admin/workspaces" class="inline" id="new-workspace">
            <label>Name <input name="name" required size="16"></label>
            <label>Id <input name="id" size="12" placeholder="made for you"></label>
            <label>Plan <select name="planId">\(plans.map { #"<option value="\#(e($0.id))">\#(e($0.id)) · \#(e($0.name))</option>"# }.joined())</select></label>
            <label>Period starts <input name="anchorDate" type="date"></label>
            <button type="submit">Create workspace</button></form>
            </section>
            """

        body += """
            <section><h2>Action costs</h2>
            <table id="action-costs"><thead><tr><th scope="col">Action type</th><th scope="col">Price (actions)</th><th scope="col">Version</th><th scope="col">Updated (UTC)</th></tr></thead><tbody>
            """
        for cost in costs {
            let field = "cost-\(e(cost.actionType))"
            let inputs: String
            if let rates = cost.tokenRates {
                inputs = AdminPage.tokenInputs(idPrefix: field, rates: rates, perCall: cost.baseCost, of: cost.actionType)
            } else {
                inputs = """
                    <label for="\(field)" class="visually-hidden">Base cost of \(e(cost.actionType))</label>
                    <input id="\(field)" name="baseCost" value="\(cost.baseCost.description)" inputmode="decimal" required size="8">
                    """
            }
            body += """
                <tr><td><a href="/admin/action-costs/\(e(cost.actionType))">\(e(cost.actionType))</a></td>
                <td><form method="post" action="/admin/action-costs/\(e(cost.actionType))" class="inline">
                \(inputs)
                <button type="submit">Save</button></form></td>
                <td>\(cost.version)</td><td>\(HTML.time(cost.updatedAt))</td></tr>
                """
        }
        body += """
            </tbody></table>
            <form method="post" action="/admin/action-costs" class="inline"><label>New action type <input name="actionType" pattern="[A-Z0-9_]{1,64}" required size="16"></label>
            <label>Base cost <input name="baseCost" inputmode="decimal" required size="8"></label><button type="submit">Add</button></form>
            <form method="post" action="/admin/action-costs" class="inline" id="new-token-cost"><label>New token-priced action type <input name="actionType" pattern="[A-Z0-9_]{1,64}" required size="16"></label>
            \(AdminPage.tokenInputs(idPrefix: "new-token", rates: nil, perCall: nil, of: nil))
            <button type="submit">Add</button></form>
            </section>
            """

        body += "<section><h2>Plans</h2>"
        for plan in plans {
            let id = e(plan.id)
            body += """
                <form method="post" action="/admin/plans/\(id)" class="plan"><fieldset><legend>\(id)</legend>
                <label>Name <input name="name" value="\(e(plan.name))" required></label>
                <label>Allowance / month <input name="monthlyAllowance" value="\(plan.monthlyAllowance.description)" inputmode="decimal" required size="10"></label>
                <label>Overage <select name="overagePolicy">\(OveragePolicy.allCases.map { #"<option\#($0 == plan.overagePolicy ? " selected" : "")>\#($0.rawValue)</option>"# }.joined())</select></label>
                <label>Rate (credits / action) <input name="overageRate" value="\(plan.overageRate.description)" inputmode="decimal" required size="8"></label>
                <label>Price (cents) <input name="priceCents" value="\(plan.priceCents)" inputmode="numeric" required size="8"></label>
                <label title="Share of the unused allowance that carries; empty: none">Rollover share <input name="rolloverFraction" value="\(plan.rollover?.fraction.description ?? "")" inputmode="decimal" size="5"></label>
                <label>at most <input name="rolloverMaxCarry" value="\(plan.rollover?.maxCarry.description ?? "")" inputmode="decimal" size="8"> actions</label>
                <label>for <input name="rolloverExpiresAfterPeriods" value="\(plan.rollover.map { String($0.expiresAfterPeriods) } ?? "")" inputmode="numeric" size="3"> periods</label>
                <button type="submit">Save \(id)</button></fieldset></form>
                """
        }
        body += "</section>"

        body += webhooks.render()

        body += """
            <section><h2>API keys</h2>
            <table id="keys"><thead><tr><th scope="col">Key</th><th scope="col">Role</th><th scope="col">Workspaces</th><th scope="col">Name</th><th scope="col">Rate limit</th><th scope="col">Created (UTC)</th><th scope="col">Status</th><th scope="col"></th></tr></thead><tbody>
            """
        for key in keys.prefix(Self.keysShown) {
            // Freezing stops a key at once and can be undone; revoking cannot.
            let change = key.status == .frozen ? ("active", "Thaw") : ("frozen", "Freeze")
            let revoke = key.id == principal.keyId ? "this key" : """
                <form method="post" action="/admin/keys/\(e(key.id))/status" class="inline"><input type="hidden" name="status" value="\(change.0)"><button type="submit">\(change.1)</button></form>
                <form method="post" action="/admin/keys/\(e(key.id))/revoke" class="inline"><button type="submit" class="danger">Revoke</button></form>
                """
            body += "<tr><td><code>\(e(key.prefix))…</code></td><td>\(e(key.role.rawValue))</td><td>\(e(key.workspaceIds.joined(separator: ", ")))</td>"
            let rateLimit = key.rateLimit.map { "\($0.perSecond)/s, burst \($0.burst)" } ?? "default"
            body += "<td>\(e(key.name ?? ""))</td><td>\(rateLimit)</td><td>\(HTML.time(key.createdAtMillis))</td><td>\(key.status.rawValue)</td><td>\(revoke)</td></tr>"
        }
        body += "</tbody></table>"
        if keys.count > Self.keysShown {
            body += #"<p class="hint">The newest \#(Self.keysShown) of \#(keys.count) keys; <code>GET /v1/api-keys</code> lists them all.</p>"#
        }
        body += """
            <form method="post" action="/admin/keys" class="inline">
            <label>Role <select name="role">\(Role.allCases.map { "<option>\($0.rawValue)</option>" }.joined())</select></label>
            <label>Workspaces <input name="workspaceIds" placeholder="ws_a, ws_b" size="20"></label>
            <label>Name <input name="name" size="12"></label>
            <label>Calls/s <input name="ratePerSecond" inputmode="numeric" pattern="[0-9]*" size="6" placeholder="default"></label>
            <label>Burst <input name="rateBurst" inputmode="numeric" pattern="[0-9]*" size="6" placeholder="default"></label>
            <button type="submit">Create key</button></form>
            </section>
            """
        return HTML.page(title: "Admin", principal: principal, body: body, script: settledURL != nil)
    }
}

extension AdminPage {
    /// The inputs of a token-priced cost (SPEC §3.6): the part per call and actions per
    /// million tokens of each kind (empty: 0), with `pricing=tokens`.
    static func tokenInputs(idPrefix: String, rates: TokenRates?, perCall: Amount?, of actionType: String?) -> String {
        let e = HTML.escape
        let of = actionType.map { " of \(e($0))" } ?? ""
        var html = #"<input type="hidden" name="pricing" value="tokens">"#
        html += #"<label for="\#(idPrefix)-perCall">Per call\#(of)</label> <input id="\#(idPrefix)-perCall" name="perCall" value="\#(perCall?.description ?? "")" inputmode="decimal" size="6">"#
        for kind in TokenKind.allCases {
            let id = "\(idPrefix)-\(kind.rawValue)"
            html += #" <label for="\#(id)">\#(kind.rawValue) per million\#(of)</label> <input id="\#(id)" name="\#(kind.rawValue)" value="\#(rates?[kind].description ?? "")" inputmode="decimal" size="6">"#
        }
        return html
    }
}

/// One action type's cost versions.
struct CostHistoryPage {
    /// A cost as people read it: a base cost, or a token-priced cost's parts.
    static func price(_ cost: ActionCost) -> String {
        guard let rates = cost.tokenRates else { return HTML.amount(cost.baseCost) }
        let parts = TokenKind.allCases.filter { !rates[$0].isZero }.map { "\(HTML.amount(rates[$0])) per million \($0.rawValue)" }
        return ([HTML.amount(cost.baseCost) + " per call"] + parts).joined(separator: ", ")
    }

    var actionType: String
    var versions: [ActionCost]

    func render(principal: Principal) -> String {
        var body = "<h1>\(HTML.escape(actionType)) <small>cost history</small></h1><p><a href=\"/admin\">← Admin</a></p>"
        body += "<table><thead><tr><th scope=\"col\">Version</th><th scope=\"col\">Price (actions)</th><th scope=\"col\">From (UTC)</th></tr></thead><tbody>"
        for version in versions {
            body += "<tr><td>\(version.version)</td><td>\(CostHistoryPage.price(version))</td><td>\(HTML.time(version.updatedAt))</td></tr>"
        }
        return HTML.page(title: actionType, principal: principal, body: body + "</tbody></table>")
    }
}
