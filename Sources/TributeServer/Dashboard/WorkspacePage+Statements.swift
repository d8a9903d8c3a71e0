import TributeCore

// The workspace page's statements (SPEC §3.9): one per closed period, newest first, each
// opening as its printable page, with its CSV beside it.
extension WorkspacePage {
    func statementsSection() -> String {
        let e = HTML.escape
        var html = #"<section id="statements-section"><h2>Statements</h2>"#
        guard !statements.isEmpty else {
            return html + #"<p class="empty">No statements yet: the first is ready five minutes after the first period ends.</p></section>"#
        }
        html += """
            <table id="statements" class="compact"><thead><tr><th scope="col">Number</th><th scope="col">Period (UTC)</th>
            <th scope="col">Opening credits</th><th scope="col">Closing credits</th><th scope="col"></th></tr></thead><tbody>
            """
        for statement in statements.reversed().prefix(24) {
            let summary = StatementDocument.Fields((try? JSON.parse(Array(statement.body.utf8))) ?? .null)
            let link = "/workspaces/\(e(workspace.id))/statements/\(statement.number)"
            html += """
                <tr><td><a href="\(link)">Statement \(statement.number)</a></td>
                <td>\(HTML.time(statement.fromMillis)) – \(HTML.time(statement.toMillis))</td>
                <td>\(HTML.amount(StatementDocument.Fields.amount(summary.object("opening")["credits"])))</td>
                <td>\(HTML.amount(StatementDocument.Fields.amount(summary.object("closing")["credits"])))</td>
                <td><a href="\(link)/csv" download>CSV</a></td></tr>
                """
        }
        return html + "</tbody></table></section>"
    }
}
