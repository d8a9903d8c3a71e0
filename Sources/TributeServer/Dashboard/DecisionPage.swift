import TributeCore

/// One decision with everything that explains it (SPEC §3.5), as
/// `GET /v1/workspaces/{id}/decisions/{decisionId}` gives it: what it was priced at, what it
/// drew from, the budgets it was checked against, its ledger transaction and its place in
/// the hash chain. An admin may reverse the charge from here, with a reason.
struct DecisionPage {
    var explained: DecisionExplanation
    /// Whether the signed-in key may reverse charges (an admin).
    var canReverse: Bool
    var notice: String?

    func render(principal: Principal) -> String {
        let e = HTML.escape
        let decision = explained.record
        let workspacePath = "/workspaces/\(e(decision.workspaceId))"
        let outcome = decision.success ? #"<span class="ok">\#(WorkspacePage.outcomeLabel(decision.kind))</span>"#
            : #"<span class="denied">denied: \#(e(decision.reason.rawValue))</span>"#
        var body = """
            <h1>Decision <small>\(e(decision.id))</small></h1>
            <p><a href="\(workspacePath)">← Workspace \(e(decision.workspaceId))</a></p>
            \(notice.map { #"<p class="notice" role="status">\#(e($0))</p>"# } ?? "")
            <section><h2>What was decided</h2><dl class="facts" id="decision">
            <dt>Outcome</dt><dd>\(outcome)</dd>
            <dt>Time (UTC)</dt><dd>\(HTML.time(decision.createdAtMillis))</dd>
            <dt>Action type</dt><dd>\(e(decision.actionType)) at cost version \(decision.costVersion)</dd>
            <dt>Actions charged</dt><dd>\(HTML.amount(decision.actionsCharged)), \(HTML.amount(decision.fromAllowance)) of them from the allowance</dd>
            <dt>Credits debited</dt><dd>\(HTML.amount(decision.creditsDebited))</dd>
            <dt>User / agent / run</dt><dd>\([decision.userId, decision.agentId, decision.runId].map { e($0 ?? "–") }.joined(separator: " / "))</dd>
            \(decision.context.map { "<dt>Context</dt><dd><code>\(e($0))</code></dd>" } ?? "")
            \(explanationFacts())
            </dl></section>
            """
        body += transactionSection()
        body += """
            <section><h2>Place in the hash chain</h2><dl class="facts">
            <dt>Sequence</dt><dd>\(explained.seq)</dd>
            <dt>Previous hash</dt><dd><code>\(e(explained.previousHash))</code></dd>
            <dt>Hash</dt><dd><code>\(e(explained.hash))</code></dd>
            </dl></section>
            """
        return HTML.page(title: "Decision \(decision.id)", principal: principal, body: body)
    }

    /// The price and what it drew on, when the decision kept its explanation.
    func explanationFacts() -> String {
        let e = HTML.escape
        guard let explanation = explained.explanation else { return "<dt>Explanation</dt><dd>Recorded before explanations were kept.</dd>" }
        var html: String
        if let tokens = explanation.tokens {
            // Each line rounded up alone; the charge is the exact sum rounded up once.
            let lines = TokenKind.allCases.filter { tokens.usage[$0] != 0 || !tokens.rates[$0].isZero }.map { kind in
                "\(tokens.usage[kind]) \(e(kind.rawValue)) at \(HTML.amount(tokens.rates[kind])) per million: \(tokens.amount(of: kind).map { HTML.amount($0) } ?? "–")"
            }
            html = "<dt>Priced at</dt><dd id=\"tokens\">\(HTML.amount(tokens.perCall)) per call<br>\(lines.joined(separator: "<br>"))</dd>"
        } else {
            html = "<dt>Priced at</dt><dd>base cost \(HTML.amount(explanation.baseCost)) × multiplier \(HTML.amount(explanation.costMultiplier))</dd>"
        }
        if let hold = explanation.hold { html += "<dt>Hold</dt><dd>\(e(hold))</dd>" }
        if let reverses = explanation.reverses {
            html += "<dt>Reverses</dt><dd>transaction \(e(reverses))\(explanation.note.map { ": “\(e($0))”" } ?? "")</dd>"
        }
        let grants = explanation.grants.map { "\(HTML.amount($0.amount)) from grant \(e($0.grantId))" }
        html += "<dt>Credits drawn</dt><dd>\(grants.isEmpty ? "none" : grants.joined(separator: "<br>"))</dd>"
        let budgets = explanation.budgets.map { check in
            "\(e(check.scope.description)): \(HTML.amount(check.usedBefore)) of \(HTML.amount(check.limit)) \(check.unit.rawValue) used before (\(check.period.rawValue))"
        }
        return html + "<dt>Budgets checked</dt><dd>\(budgets.isEmpty ? "none" : budgets.joined(separator: "<br>"))</dd>"
    }

    func transactionSection() -> String {
        let e = HTML.escape
        guard let transaction = explained.transaction else { return #"<section><h2>Ledger transaction</h2><p class="empty">None: this decision moved nothing.</p></section>"# }
        var html = """
            <section><h2>Ledger transaction</h2><p>\(e(transaction.id)) · \(e(transaction.kind)) · \(HTML.time(transaction.createdAtMillis)) UTC</p>
            <table id="postings"><thead><tr><th scope="col">Account</th><th scope="col">Amount</th><th scope="col">Unit</th></tr></thead><tbody>
            """
        for posting in transaction.postings {
            html += "<tr><td>\(e(posting.account))</td><td>\(posting.amount.isNegative ? "" : "+")\(HTML.amount(posting.amount))</td><td>\(e(posting.unit))</td></tr>"
        }
        html += "</tbody></table>"
        // Charges are reversed; a hold's own steps and a reversal are corrected otherwise.
        if canReverse, decision.success, decision.kind == .call || decision.kind == .commit, explained.explanation?.reverses == nil {
            html += """
                <form method="post" action="/workspaces/\(e(decision.workspaceId))/decisions/\(e(decision.id))/reverse" class="inline" id="reverse">
                <label>Reason <input name="reason" required maxlength="\(ReversalInput.maxReasonBytes)" size="40"></label>
                <button type="submit" class="danger">Reverse this charge</button></form>
                <p class="hint">A reversal is a new transaction that gives back what this one took: credits to their grants, the allowance if still in the same period, budget use. It can be done once.</p>
                """
        }
        return html + "</section>"
    }

    private var decision: DecisionRecord { explained.record }
}
