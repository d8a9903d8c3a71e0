import TributeCore

// The workspace page's auto top-up: its state, the saved card and the newest attempts for
// every key that sees the workspace, and the settings form for an admin.
extension WorkspacePage {
    func autoTopupSection(canEdit: Bool) -> String {
        let e = HTML.escape
        let view = autoTopup
        let state = view.state?.rawValue.replacingOccurrences(of: "_", with: " ") ?? "off"
        var html = #"<section id="auto-topup"><h2>Auto top-up</h2>"#
        let currency = allPackages.first { $0.id == view.settings?.packageId }?.currency ?? "usd"
        let card = view.paymentMethod.map { "\(e($0.brand)) ending \(e($0.last4))" } ?? "none saved"
        html += """
            <p id="auto-topup-state">State: <strong>\(e(state))</strong>\(view.reason.map { " (\(e($0.replacingOccurrences(of: "_", with: " "))))" } ?? "")
             · Card: <span id="auto-topup-card">\(card)</span> · Spent this period: \(HTML.cents(view.spentThisMonthCents, currency: currency)) · Charges today: \(view.chargesToday)</p>
            """
        if view.paymentMethod == nil {
            html += """
                <p class="hint">A card is saved by the platform: <code>POST /v1/workspaces/\(e(workspace.id))/payment-method/setup</code> returns a
                <code>clientSecret</code> that Stripe.js confirms on the platform's own page; Stripe's <code>setup_intent.succeeded</code> then saves it here.</p>
                """
        }
        if !autoTopupAttempts.isEmpty {
            html += """
                <table id="auto-topup-attempts" class="compact"><thead><tr><th scope="col">Started (UTC)</th><th scope="col">Status</th>
                <th scope="col">Packages</th><th scope="col">Charged</th><th scope="col">Credits</th><th scope="col">Why</th></tr></thead><tbody>
                """
            for attempt in autoTopupAttempts {
                let why = [attempt.cappedBy.map { "capped by the \($0.rawValue)'s limit" }, attempt.reason].compactMap { $0 }.joined(separator: "; ")
                html += """
                    <tr><td>\(HTML.time(attempt.createdAtMillis))</td><td>\(attempt.status.rawValue)</td><td>\(attempt.packages.map(String.init) ?? "–")</td>
                    <td>\(attempt.cents.map { HTML.cents($0, currency: attempt.currency ?? currency) } ?? "–")</td><td>\(attempt.credits.map(HTML.amount) ?? "–")</td><td>\(e(why))</td></tr>
                    """
            }
            html += "</tbody></table>"
        }
        if canEdit {
            let settings = view.settings
            let options = allPackages.filter(\.active).map { package in
                #"<option value="\#(e(package.id))"\#(package.id == settings?.packageId ? " selected" : "")>\#(e(package.name)) · \#(HTML.amount(package.credits)) credits · \#(HTML.cents(package.priceCents, currency: package.currency))</option>"#
            }.joined()
            var target = ""
            if case .target(let amount)? = settings?.mode { target = amount.description }
            let on = settings?.enabled ?? true
            html += """
                <form method="post" action="/workspaces/\(e(workspace.id))/auto-topup" class="inline" id="auto-topup-form">
                <label>Auto top-up <select name="enabled"><option value="on"\(on ? " selected" : "")>on</option><option value="off"\(on ? "" : " selected")>off</option></select></label>
                <label>Package <select name="packageId">\(options)</select></label>
                <label>When credits fall to <input name="threshold" value="\(settings?.threshold.description ?? "")" inputmode="decimal" required size="8"></label>
                <label>Buy <select name="mode"><option value="threshold"\(target.isEmpty ? " selected" : "")>just above it</option><option value="target"\(target.isEmpty ? "" : " selected")>up to the target</option></select></label>
                <label>Target <input name="target" value="\(target)" inputmode="decimal" size="8"></label>
                <label>Charges a day at most <input name="maxChargesPerDay" value="\(settings?.limits.maxChargesPerDay ?? 5)" inputmode="numeric" size="4"></label>
                <label>Cents a month at most <input name="maxCentsPerMonth" value="\(settings.map { String($0.limits.maxCentsPerMonth) } ?? "")" inputmode="numeric" required size="8"></label>
                <button type="submit">Save auto top-up</button></form>
                <p class="hint">Buys the fewest packages that lift the available credits above the threshold (or to the target), within both limits; a declined card suspends it until another card is saved or credits are bought.</p>
                """
        }
        return html + "</section>"
    }
}
