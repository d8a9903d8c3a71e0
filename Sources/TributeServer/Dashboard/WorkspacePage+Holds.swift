import TributeCore

// The workspace page's holds (SPEC §3.1): what open holds keep out of the balance and the
// allowance, and the holds themselves, which an admin or service key may release.
extension WorkspacePage {
    /// The card beside the balance and the allowance. Its numbers are updated live from the
    /// stream's `balance` messages, like theirs.
    func heldCard() -> String {
        """
        <div class="card"><h2>Held by open holds</h2>
        <p class="big"><span data-live="heldAmount">\(HTML.amount(workspace.heldAmount))</span></p>
        <p>credits, and <span data-live="heldAllowance">\(HTML.amount(workspace.heldAllowance))</span> actions of the allowance</p>
        </div>
        """
    }

    /// The newest open holds, each with a release form for keys that may release.
    func holdsTable() -> String {
        let e = HTML.escape
        var html = """
            <section><h2>Open holds</h2>
            <table id="holds"><thead><tr><th scope="col">Hold</th><th scope="col">Action</th><th scope="col">Held actions</th>
            <th scope="col">Held credits</th><th scope="col">Expires (UTC)</th>\(canRelease ? #"<th scope="col"><span class="visually-hidden">Release</span></th>"# : "")</tr></thead><tbody>
            """
        for hold in holds {
            html += "<tr><td>\(e(hold.id))</td><td>\(e(hold.actionType))</td><td>\(HTML.amount(hold.heldActions))</td>"
            html += "<td>\(HTML.amount(hold.heldCredits))</td><td>\(HTML.time(hold.expiresAtMillis))</td>"
            if canRelease {
                html += """
                    <td><form method="post" action="/workspaces/\(e(workspace.id))/holds/\(e(hold.id))/release">
                    <button type="submit" class="danger" aria-label="Release \(e(hold.id))">Release</button></form></td>
                    """
            }
            html += "</tr>"
        }
        if holds.isEmpty { html += #"<tr><td colspan="\#(canRelease ? 6 : 5)" class="empty">No open holds.</td></tr>"# }
        return html + "</tbody></table></section>"
    }
}
