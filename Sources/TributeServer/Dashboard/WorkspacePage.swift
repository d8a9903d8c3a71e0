import TributeCore

/// The workspace view: balances, allowance, what open holds hold, budgets, usage charts,
/// recent decisions and transactions, purchases. Numbers marked `data-live` are updated by dashboard.js from
/// the live stream.
struct WorkspacePage {
    var workspace: WorkspaceView
    /// Every plan: the workspace's own, and the choices of the admin's plan form.
    var plans: [Plan]
    /// One page of the budgets (`Dashboard.budgetsPerPage`), from `budgetsCursor`.
    var budgets: Page<BudgetView>
    /// Where this page of budgets starts; `nil` for the first.
    var budgetsCursor: String?
    /// The newest open holds (`WorkspacePage+Holds`).
    var holds: [HoldRecord]
    /// Whether the key may release a hold from the page (not a viewer).
    var canRelease: Bool
    var usage: UsageReport
    var decisions: [DecisionRecord]
    var transactions: [TransactionView]
    var purchases: [Purchase]
    /// Packages on sale, when payments are on and the key may buy.
    var packages: [CreditPackage]?
    /// Auto top-up's settings and state, and its newest attempts (`WorkspacePage+AutoTopup`).
    var autoTopup: AutoTopupView
    var autoTopupAttempts: [AutoTopupAttempt]
    /// Every package, for the admin's auto top-up form.
    var allPackages: [CreditPackage]
    /// The newest grants (`WorkspacePage+Grants`), and the time the page is rendered at.
    var grants: [CreditGrantView]
    /// The statements of closed periods (`WorkspacePage+Statements`).
    var statements: [StoredStatement]
    var nowMillis: Int64
    var notice: String?
    /// Where the live stream takes over from this page.
    var position: StreamPosition

    func render(principal: Principal) -> String {
        let e = HTML.escape
        let allowance = plans.first { $0.id == workspace.planId }?.monthlyAllowance ?? workspace.remainingAllowance
        let used = allowance > workspace.remainingAllowance ? allowance - workspace.remainingAllowance : .zero
        var body = """
            <div data-workspace="\(e(workspace.id))" data-after="\(position)" id="workspace">
            <h1>\(e(workspace.name)) <small>\(e(workspace.id)) · plan \(e(workspace.planId))\(workspace.status == .suspended ? " · suspended" : "")</small></h1>
            <p id="live-status" class="live" role="status" aria-live="polite">Connecting to live updates…</p>
            \(notice.map { #"<p class="notice" role="status">\#(e($0))</p>"# } ?? "")
            <div id="notices" aria-live="polite"></div>
            <section class="cards" aria-label="Balances">
            <div class="card"><h2>Credit balance</h2><p class="big"><span data-live="remainingBalance">\(HTML.amount(workspace.remainingBalance))</span></p><p>credits</p></div>
            <div class="card"><h2>Allowance this period</h2>
            <p class="big"><span data-live="remainingAllowance">\(HTML.amount(workspace.remainingAllowance))</span></p>
            <p>of \(HTML.amount(allowance)) actions left, until \(HTML.time(workspace.period.end * 1000))</p>
            <label class="meter">Used <meter id="allowance-meter" min="0" max="\(allowance.description)" value="\(used.description)" data-allowance="\(allowance.description)">\(HTML.amount(used))</meter></label>
            </div>
            \(heldCard())
            </section>
            """
        if principal.role == .admin { body += manageSection() }
        body += autoTopupSection(canEdit: principal.role == .admin)
        body += holdsTable()
        body += budgetsSection(canEdit: principal.role != .viewer)
        let byType = usage.byActionType.sorted { $0.value.actions > $1.value.actions || ($0.value.actions == $1.value.actions && $0.key < $1.key) }
        body += "<section><h2>Usage by action type, last 30 days</h2>"
        body += SVGChart.bars(byType.map { ($0.key, $0.value.actions) }, title: "Actions by action type, last 30 days")
        if !byType.isEmpty {
            body += "<table class=\"compact\"><thead><tr><th scope=\"col\">Action type</th><th scope=\"col\">Calls</th><th scope=\"col\">Actions</th><th scope=\"col\">Credits</th></tr></thead><tbody>"
            for (type, bucket) in byType {
                body += "<tr><td>\(e(type))</td><td>\(bucket.count)</td><td>\(HTML.amount(bucket.actions))</td><td>\(HTML.amount(bucket.credits))</td></tr>"
            }
            body += "</tbody></table>"
        }
        body += "</section><section><h2>Daily usage, last 30 days</h2>"
        body += SVGChart.columns(usage.daily.map { ($0.date, $0.actions) }, title: "Actions per day, last 30 days")
        body += #"<p><a class="button" href="/workspaces/\#(e(workspace.id))/usage.csv" download>Export CSV</a> \#(HTML.amount(usage.totalActions)) actions and \#(HTML.amount(usage.totalCreditsSpent)) credits in 30 days.</p></section>"#
        body += decisionsTable()
        body += transactionsTable()
        if principal.role == .admin { body += grantsSection() }
        body += statementsSection()
        body += purchasesSection(principal: principal)
        return HTML.page(title: workspace.name, principal: principal, body: body + "</div>", script: true)
    }

    func decisionsTable() -> String {
        var html = """
            <section><h2>Recent decisions</h2>
            <table id="decisions"><thead><tr><th scope="col">Time (UTC)</th><th scope="col">Action</th><th scope="col">Outcome</th>
            <th scope="col">Actions</th><th scope="col">Credits</th><th scope="col">User / agent / run</th></tr></thead><tbody>
            """
        for decision in decisions { html += WorkspacePage.decisionRow(decision) }
        return html + "</tbody></table></section>"
    }

    /// One row of the decisions table; dashboard.js builds the same from the stream.
    static func decisionRow(_ decision: DecisionRecord) -> String {
        let e = HTML.escape
        let outcome = decision.success ? #"<span class="ok">\#(outcomeLabel(decision.kind))</span>"# : #"<span class="denied">denied: \#(e(decision.reason.rawValue))</span>"#
        let who = [decision.userId, decision.agentId, decision.runId].map { $0 ?? "–" }.map(e).joined(separator: " / ")
        let explanation = "/workspaces/\(e(decision.workspaceId))/decisions/\(e(decision.id))"
        return "<tr><td><a href=\"\(explanation)\">\(HTML.time(decision.createdAtMillis))</a></td><td>\(e(decision.actionType))</td><td>\(outcome)</td>"
            + "<td>\(HTML.amount(decision.actionsCharged))</td><td>\(HTML.amount(decision.creditsDebited))</td><td>\(who)</td></tr>"
    }

    /// What an approved decision of `kind` did, in the decisions table; dashboard.js shows
    /// the same words.
    static func outcomeLabel(_ kind: DecisionKind) -> String {
        switch kind {
        case .call: "approved"
        case .hold: "held"
        case .commit: "committed"
        case .release: "released"
        case .expiry: "expired"
        }
    }

    func transactionsTable() -> String {
        let e = HTML.escape
        var html = """
            <section><h2>Recent transactions</h2>
            <table><thead><tr><th scope="col">Time (UTC)</th><th scope="col">Kind</th><th scope="col">Postings</th></tr></thead><tbody>
            """
        for transaction in transactions {
            let postings = transaction.postings.map { "\(e($0.account)) \($0.amount.isNegative ? "" : "+")\(HTML.amount($0.amount)) \($0.unit)" }.joined(separator: "<br>")
            html += "<tr><td>\(HTML.time(transaction.createdAtMillis))</td><td>\(e(transaction.kind))</td><td class=\"postings\">\(postings)</td></tr>"
        }
        if transactions.isEmpty { html += #"<tr><td colspan="3" class="empty">No transactions yet.</td></tr>"# }
        return html + "</tbody></table></section>"
    }

    func purchasesSection(principal: Principal) -> String {
        let e = HTML.escape
        var html = "<section><h2>Buy credits</h2>"
        if let packages {
            html += #"<ul class="packages">"#
            for package in packages where package.active {
                html += """
                    <li><form method="post" action="/workspaces/\(e(workspace.id))/purchases">
                    <input type="hidden" name="packageId" value="\(e(package.id))">
                    <strong>\(e(package.name))</strong> \(HTML.amount(package.credits)) credits for \(HTML.cents(package.priceCents, currency: package.currency))
                    <button type="submit">Buy \(e(package.name))</button></form></li>
                    """
            }
            html += "</ul>"
        } else {
            html += #"<p class="empty">Purchases are off (no Stripe key), or this key may not buy.</p>"#
        }
        if !purchases.isEmpty {
            html += "<table><thead><tr><th scope=\"col\">Time (UTC)</th><th scope=\"col\">Package</th><th scope=\"col\">Credits</th><th scope=\"col\">Price</th><th scope=\"col\">Status</th></tr></thead><tbody>"
            for purchase in purchases {
                html += "<tr><td>\(HTML.time(purchase.createdAtMillis))</td><td>\(e(purchase.packageId))</td><td>\(HTML.amount(purchase.credits))</td>"
                html += "<td>\(HTML.cents(purchase.amountCents, currency: purchase.currency))</td><td>\(e(purchase.status.rawValue))</td></tr>"
            }
            html += "</tbody></table>"
        }
        return html + "</section>"
    }
}
