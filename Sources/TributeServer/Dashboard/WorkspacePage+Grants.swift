import TributeCore

// The workspace page's credit grants, for an admin: each with its category, its place in
// the draw order, its cost and when it expires, in words.
extension WorkspacePage {
    /// Grants one page shows: the newest.
    static var grantsShown: Int { 20 }

    func grantsSection() -> String {
        let e = HTML.escape
        var html = #"<section id="grants-section"><h2>Credit grants</h2>"#
        guard !grants.isEmpty else { return html + #"<p class="empty">No grants.</p></section>"# }
        html += """
            <table id="grants" class="compact"><thead><tr><th scope="col">Made (UTC)</th><th scope="col">Category</th><th scope="col">Priority</th>
            <th scope="col">Credits</th><th scope="col">Left</th><th scope="col">Expires</th><th scope="col">Cost (cents)</th><th scope="col">Note</th></tr></thead><tbody>
            """
        for grant in grants {
            html += """
                <tr><td>\(HTML.time(grant.createdAtMillis))</td><td>\(grant.terms.category.rawValue)</td><td>\(grant.terms.priority)</td>
                <td>\(HTML.amount(grant.amount))</td><td>\(HTML.amount(grant.remaining))</td><td>\(Self.expiry(grant.expiresAtMillis, nowMillis: nowMillis))</td>
                <td>\(grant.terms.costBasisCents)</td><td>\(e(grant.note ?? ""))</td></tr>
                """
        }
        return html + "</tbody></table><p class=\"hint\">Spent in this order: lower priority first, then soonest expiry, then the cheapest credits, then the oldest.</p></section>"
    }

    /// "expires in 3 days", "expired", "never": the nearest whole unit, rounded down.
    static func expiry(_ expiresAtMillis: Int64?, nowMillis: Int64) -> String {
        guard let expiresAtMillis else { return "never" }
        let left = expiresAtMillis - nowMillis
        let at = HTML.time(expiresAtMillis)
        guard left > 0 else { return "expired \(at)" }
        let (count, unit): (Int64, String) = left >= 86_400_000 ? (left / 86_400_000, "day") : left >= 3_600_000 ? (left / 3_600_000, "hour") : (max(1, left / 60_000), "minute")
        return #"<time datetime="\#(ISOTime.format(millis: expiresAtMillis))" title="\#(at) UTC">in \#(count) \#(unit)\#(count == 1 ? "" : "s")</time>"#
    }
}
