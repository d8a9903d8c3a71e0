import Hummingbird
import TributeCore
import TributeStore

/// The admin console's workspace forms: create a workspace, change its plan or name,
/// suspend and reactivate it, grant credits, and set or delete budgets. Each reads its
/// fields through the validator the API uses for the same change (`WorkspaceInput`).
extension Dashboard {
    /// The admin page's "new workspace" form: a created workspace opens at once; a refused
    /// one answers the admin page with why.
    @Sendable func createWorkspace(_ request: Request, _ context: TributeContext) async throws -> Response {
        try await answerForm(request, context, page: { principal, notice in
            try await adminPage(request, principal: principal, notice: notice)
        }, apply: { form, _ in
            let view = try await store.createWorkspace(try WorkspaceInput.draft(from: &form))
            return FormOutcome(notice: "Workspace \(view.id) created.", redirectTo: "/workspaces/\(view.id)")
        })
    }

    /// Name and plan, from the workspace page's settings form.
    @Sendable func saveWorkspace(_ request: Request, _ context: TributeContext) async throws -> Response {
        try await workspaceForm(request, context) { form, id in
            let patch = try WorkspaceInput.patch(from: &form)
            guard patch.status == nil, patch.lowBalanceThreshold == nil else { throw APIError.invalid("This form changes the name and the plan only") }
            let view = try await store.updateWorkspace(id: id, patch: patch)
            return "Saved: \(view.name) is on plan \(view.planId)."
        }
    }

    /// Suspend (every call is denied with `WORKSPACE_SUSPENDED`) or reactivate.
    @Sendable func setWorkspaceStatus(_ request: Request, _ context: TributeContext) async throws -> Response {
        try await workspaceForm(request, context) { form, id in
            let status = try form.requiredChoice("status", WorkspaceStatus.self)
            _ = try await store.updateWorkspace(id: id, patch: WorkspacePatch(planId: nil, status: status, name: nil))
            return status == .suspended ? "Workspace \(id) suspended: every call is denied until it is reactivated." : "Workspace \(id) is active again."
        }
    }

    @Sendable func grantCredits(_ request: Request, _ context: TributeContext) async throws -> Response {
        try await workspaceForm(request, context) { form, id in
            let grant = try await store.grantCredits(workspaceId: id, grant: try WorkspaceInput.grant(from: &form))
            let expiry = grant.expiresAtMillis.map { ", expiring \(HTML.time($0)) UTC" } ?? ""
            return "Granted \(HTML.amount(grant.amount)) credits (grant \(grant.id)\(expiry))."
        }
    }

    /// Auto top-up's settings, through the API's validator (`AutoTopupInput`).
    @Sendable func putAutoTopup(_ request: Request, _ context: TributeContext) async throws -> Response {
        try await workspaceForm(request, context) { form, id in
            let enabled = try form.requiredChoice("enabled", AutoTopupSwitch.self) == .on
            let view = try await store.putAutoTopup(workspaceId: id, settings: try AutoTopupInput.settings(&form, enabled: enabled))
            return "Auto top-up \(view.state?.rawValue.replacingOccurrences(of: "_", with: " ") ?? "off")."
        }
    }

    /// The auto top-up form's on/off choice.
    enum AutoTopupSwitch: String, CaseIterable {
        case on, off
    }

    /// A new budget, or new terms for an existing one (its use is kept).
    @Sendable func putBudget(_ request: Request, _ context: TributeContext) async throws -> Response {
        try await workspaceForm(request, context) { form, id in
            let scope = try Dashboard.budgetScope(&form)
            let terms = try WorkspaceInput.budget(from: &form)
            try WorkspaceInput.checkMayChange(scope, by: try context.requirePrincipal())
            try await WorkspaceInput.checkKeyScope(scope, workspaceId: id) { try await store.apiKeys() }
            let view = try await store.putBudget(workspaceId: id, scope: scope, limit: terms.limit, unit: terms.unit, period: terms.period,
                                                 maxBudgets: limits.budgetsPerWorkspace)
            let budget = view.budget
            return "Budget \(budget.scope): \(HTML.amount(budget.limit)) \(budget.unit.rawValue) \(WorkspacePage.window(budget.period)), \(HTML.amount(budget.used)) used."
        }
    }

    @Sendable func deleteBudget(_ request: Request, _ context: TributeContext) async throws -> Response {
        try await workspaceForm(request, context) { form, id in
            let scope = try Dashboard.budgetScope(&form, existing: true)
            try WorkspaceInput.checkMayChange(scope, by: try context.requirePrincipal())
            try await store.deleteBudget(workspaceId: id, scope: scope)
            return "Budget \(scope) deleted."
        }
    }

    /// The scope a budget form names: `scope` whole (a row of the table, as the page wrote
    /// it: untrimmed, since `user:bob ` and `user:bob` are two scopes), or `scopeKind` and
    /// `scopeId` (the new-budget form, typed). An `existing` row's scope (to delete it) is
    /// read as the store may hold it (`WorkspaceInput.existingScope`).
    static func budgetScope(_ form: inout FormBody, existing: Bool = false) throws -> BudgetScope {
        if let text = form.raw("scope") {
            if existing { return try WorkspaceInput.existingScope(text) }
            try Fields.checkText(text, name: "scope", maxBytes: 210)
            return try WorkspaceInput.scope(text)
        }
        let kind = try form.requiredChoice("scopeKind", BudgetScope.Kind.self)
        if kind == .workspace { return .workspace }
        return try WorkspaceInput.scope("\(kind.rawValue):\(try form.requiredString("scopeId"))")
    }
}
