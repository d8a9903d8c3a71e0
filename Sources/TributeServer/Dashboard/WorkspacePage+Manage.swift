import TributeCore

// The workspace page's admin console: budgets that an admin or service key edits in place,
// and, for an admin, the workspace's name, plan and status and credit grants.
extension WorkspacePage {
    /// The budgets with what they used; editable (new terms, delete, add) when `canEdit`.
    func budgetsSection(canEdit: Bool) -> String {
        let e = HTML.escape
        let path = "/workspaces/\(e(workspace.id))/budgets"
        var html = #"<section id="budgets-section"><h2>Budgets</h2>"#
        if budgets.items.isEmpty { html += budgetsCursor == nil ? #"<p class="empty">No budgets.</p>"# : #"<p class="empty">No more budgets.</p>"# }
        if !budgets.items.isEmpty {
            html += """
                <table id="budgets"><thead><tr><th scope="col">Scope</th><th scope="col">Limit</th><th scope="col">Used</th><th scope="col">Left</th>
                <th scope="col">Window</th><th scope="col">Resets (UTC)</th>\(canEdit ? #"<th scope="col"><span class="visually-hidden">Delete</span></th>"# : "")</tr></thead><tbody>
                """
        }
        for view in budgets.items {
            let budget = view.budget
            let scope = e(budget.scope.description)
            let used = "<td><meter min=\"0\" max=\"\(budget.limit.description)\" value=\"\(budget.used.description)\">\(HTML.amount(budget.used))</meter> \(HTML.amount(budget.used))</td><td>\(HTML.amount(budget.remaining))</td>"
            let resets = "<td>\(view.resetsAt.map { HTML.time($0 * 1000) } ?? "never")</td>"
            guard canEdit else {
                html += "<tr><td>\(scope)</td><td>\(HTML.amount(budget.limit)) \(budget.unit.rawValue)</td>\(used)<td>\(budget.period.rawValue)</td>\(resets)</tr>"
                continue
            }
            // One form per row, spread over the row's cells through `form=`.
            let form = "budget-\(Self.formId(budget.scope.description))"
            html += """
                <tr><td>\(scope)</td>
                <td><label class="visually-hidden" for="\(form)-limit">Limit of \(scope)</label>
                <input id="\(form)-limit" form="\(form)" name="limit" value="\(budget.limit.description)" inputmode="decimal" required size="8">
                \(Self.select("unit", BudgetUnit.allCases, selected: budget.unit, label: "Unit of \(scope)", form: form))</td>
                \(used)
                <td>\(Self.select("period", BudgetPeriod.allCases, selected: budget.period, label: "Period of \(scope)", form: form))
                <form method="post" action="\(path)" id="\(form)" class="inline"><input type="hidden" name="scope" value="\(scope)">
                <button type="submit" aria-label="Save \(scope)">Save</button></form></td>
                \(resets)
                <td><form method="post" action="\(path)/delete" class="inline"><input type="hidden" name="scope" value="\(scope)">
                <button type="submit" class="danger" aria-label="Delete \(scope)">Delete</button></form></td></tr>
                """
        }
        if !budgets.items.isEmpty { html += "</tbody></table>" }
        html += budgetPageLinks()
        if canEdit {
            html += """
                <form method="post" action="\(path)" class="inline" id="new-budget">
                <label>Scope <select name="scopeKind">\(BudgetScope.Kind.allCases.map { "<option>\($0.rawValue)</option>" }.joined())</select></label>
                <label>Id <input name="scopeId" size="12" placeholder="nightly (none for workspace)"></label>
                <label>Limit <input name="limit" inputmode="decimal" required size="8"></label>
                <label>Unit <select name="unit">\(BudgetUnit.allCases.map { "<option>\($0.rawValue)</option>" }.joined())</select></label>
                <label>Period <select name="period">\(BudgetPeriod.allCases.map { "<option>\($0.rawValue)</option>" }.joined())</select></label>
                <button type="submit">Add budget</button></form>
                """
        }
        return html + "</section>"
    }

    /// Links to the first page of budgets (when this is not it) and to the next (when there
    /// is one): a workspace's budgets are shown `Dashboard.budgetsPerPage` at a time.
    func budgetPageLinks() -> String {
        let e = HTML.escape
        var links: [String] = []
        if budgetsCursor != nil { links.append(#"<a href="/workspaces/\#(e(workspace.id))#budgets-section">← First budgets</a>"#) }
        if let next = budgets.nextCursor {
            links.append(#"<a href="/workspaces/\#(e(workspace.id))?budgets=\#(e(next))#budgets-section" rel="next">Next budgets →</a>"#)
        }
        return links.isEmpty ? "" : "<p>\(links.joined(separator: " · "))</p>"
    }

    /// Name and plan, suspend or reactivate, and credit grants: an admin's.
    func manageSection() -> String {
        let e = HTML.escape
        let path = "/workspaces/\(e(workspace.id))"
        let options = plans.map { plan in
            #"<option value="\#(e(plan.id))"\#(plan.id == workspace.planId ? " selected" : "")>\#(e(plan.id)) · \#(e(plan.name))</option>"#
        }.joined()
        let suspended = workspace.status == .suspended
        return """
            <section id="manage"><h2>Manage</h2>
            <form method="post" action="\(path)/settings" class="inline" id="settings">
            <label>Name <input name="name" value="\(e(workspace.name))" required size="20"></label>
            <label>Plan <select name="planId">\(options)</select></label>
            <button type="submit">Save workspace</button></form>
            <form method="post" action="\(path)/status" class="inline" id="status">
            <input type="hidden" name="status" value="\(suspended ? "active" : "suspended")">
            <span>Status: <strong>\(workspace.status.rawValue)</strong></span>
            \(suspended ? #"<button type="submit">Reactivate</button>"# : #"<button type="submit" class="danger">Suspend</button>"#)
            </form>
            <p class="hint">A suspended workspace's every call is denied with <code>WORKSPACE_SUSPENDED</code>; its balance and holds stay as they are.</p>
            <form method="post" action="\(path)/credit-grants" class="inline" id="grant">
            <label>Credits <input name="amount" inputmode="decimal" required size="8"></label>
            <label>Expires on (UTC) <input name="expiresAt" type="date"></label>
            <label>Note <input name="note" size="20" maxlength="500"></label>
            <button type="submit">Grant credits</button></form>
            <p class="hint">A grant with an expiry is spent before credits that never expire; what is left of it lapses at 00:00 UTC of that day.</p>
            </section>
            """
    }

    /// A `<select>` of an enumeration's values for a row's form.
    static func select<T: RawRepresentable & CaseIterable & Equatable>(_ name: String, _ values: T.AllCases, selected: T, label: String, form: String) -> String where T.RawValue == String {
        let options = values.map { #"<option\#($0 == selected ? " selected" : "")>\#($0.rawValue)</option>"# }.joined()
        return #"<select name="\#(name)" form="\#(form)" aria-label="\#(HTML.escape(label))">\#(options)</select>"#
    }

    /// An element id made from any text: its bytes in hex, so that ids never collide.
    static func formId(_ text: String) -> String {
        text.utf8.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

extension WorkspacePage {
    /// A budget's window in words, for notices.
    static func window(_ period: BudgetPeriod) -> String {
        switch period {
        case .day: "a day (UTC)"
        case .week: "a week (UTC, from Monday)"
        case .month: "a month"
        case .lifetime: "in all"
        }
    }
}
