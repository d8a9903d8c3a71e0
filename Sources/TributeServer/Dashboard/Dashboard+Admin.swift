import Foundation
import Hummingbird
import TributeCore
import TributeStore

/// The admin view and its forms. Each form is checked by the validator the API uses for the
/// same change (`ActionCostInput`, `PlanInput`, `KeyInput`), so a value one refuses the
/// other refuses too.
extension Dashboard {
    @Sendable func admin(_ request: Request, _ context: TributeContext) async throws -> Response {
        Dashboard.clearingFlash(try await adminPage(request, principal: try context.requirePrincipal(), notice: Flash.notice(request)), of: request)
    }

    func adminPage(_ request: Request, principal: Principal, notice: String?) async throws -> Response {
        let workspaces = try await store.workspaces(limit: 50, cursor: try API.cursor(request))
        let nowMillis = store.nowMillis()
        let counted = try await store.velocities(workspaceIds: workspaces.items.map(\.id), nowMillis: nowMillis)
        var velocities: [String: Velocity] = [:]
        for workspace in workspaces.items {
            velocities[workspace.id] = counted[workspace.id]?.withHistory(createdAtMillis: workspace.createdAtMillis, nowMillis: nowMillis)
        }
        let page = AdminPage(
            workspaces: workspaces, velocities: velocities,
            costs: try await store.actionCosts(), plans: try await store.plans(), keys: try await store.apiKeys(),
            webhooks: WebhookSection(endpoints: try await store.webhookEndpoints(), deliverable: WebhookRoutes<Store>.deliverableEventTypes), notice: notice,
            settledURL: request.method == .post ? "/admin" : nil)
        return Dashboard.html(page.render(principal: principal))
    }

    /// An admin form post, which returns to the admin page (`answerForm`); with
    /// `showsSecret`, its answer is that page, showing what must be shown once.
    func adminForm(_ request: Request, _ context: TributeContext, showsSecret: Bool = false,
                   _ apply: (inout FormBody) async throws -> String) async throws -> Response {
        try await answerForm(request, context, page: { principal, notice in
            try await adminPage(request, principal: principal, notice: notice)
        }, apply: { form, _ in FormOutcome(notice: try await apply(&form), redirectTo: showsSecret ? nil : "/admin") })
    }

    /// A new cost for an action type: the type in the path (a row of the costs table) or in
    /// the form (the new-type row).
    @Sendable func setActionCost(_ request: Request, _ context: TributeContext) async throws -> Response {
        try await adminForm(request, context) { form in
            let name = context.parameters.get("actionType") != nil ? try API.parameter(context, "actionType") : form["actionType"]
            let actionType = try ActionCostInput.actionType(name)
            let price = try ActionCostInput.price(fromForm: &form)
            let cost = try await store.setActionCost(actionType: actionType, baseCost: price.baseCost, tokenRates: price.tokenRates)
            return "\(actionType) costs \(CostHistoryPage.price(cost)) (version \(cost.version))."
        }
    }

    @Sendable func actionCostHistory(_ request: Request, _ context: TributeContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let actionType = try ActionCostInput.actionType(try API.parameter(context, "actionType"))
        return Dashboard.html(CostHistoryPage(actionType: actionType, versions: try await store.actionCostHistory(actionType: actionType)).render(principal: principal))
    }

    @Sendable func putPlan(_ request: Request, _ context: TributeContext) async throws -> Response {
        try await adminForm(request, context) { form in
            var plan = try PlanInput.plan(id: try PlanInput.id(try API.parameter(context, "planId")), from: &form)
            plan.rollover = try PlanInput.rolloverTerms(from: &form, prefix: "rollover")
            try PlanInput.checkRollover(plan)
            _ = try await store.putPlan(plan)
            return "Plan \(plan.id) saved."
        }
    }

    @Sendable func createKey(_ request: Request, _ context: TributeContext) async throws -> Response {
        try await adminForm(request, context, showsSecret: true) { form in
            guard let role = form["role"].flatMap(Role.init(rawValue:)) else { throw APIError.invalid("Choose a role") }
            let ids = (form["workspaceIds"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard ids.count <= 100, ids.allSatisfy(Fields.isIdentifier) else { throw APIError.invalid("Workspaces are ids separated by commas") }
            if let problem = KeyInput.scopeProblem(role: role, workspaceIds: ids) { throw APIError.invalid(problem) }
            let rateLimit = try RateLimit.form(perSecond: form["ratePerSecond"], burst: form["rateBurst"])
            let name = try form.string("name", maxLength: 200)
            let (view, secret) = try await store.createAPIKey(role: role, workspaceIds: ids, name: name, rateLimit: rateLimit, maxKeys: limits.apiKeys)
            // Shown once, in this page only; it is never stored or logged.
            return "Key \(view.id) (\(role.rawValue)) created: \(secret) — copy it now, it will not be shown again."
        }
    }

    /// Freezes or thaws a key (SPEC §3.7), never the one signed in.
    @Sendable func setKeyStatus(_ request: Request, _ context: TributeContext) async throws -> Response {
        let keyId = try API.parameter(context, "keyId")
        let principal = try context.requirePrincipal()
        return try await adminForm(request, context) { form in
            let status = try form.requiredChoice("status", APIKeyStatus.self)
            guard keyId != principal.keyId else { throw APIError.invalid("A key cannot freeze itself") }
            _ = try await store.updateAPIKey(id: keyId, patch: APIKeyPatch(status: status))
            return "Key \(keyId) \(status == .frozen ? "frozen: its calls are refused" : "thawed")."
        }
    }

    @Sendable func revokeKey(_ request: Request, _ context: TributeContext) async throws -> Response {
        let keyId = try API.parameter(context, "keyId")
        let principal = try context.requirePrincipal()
        return try await adminForm(request, context) { _ in
            guard keyId != principal.keyId else { throw APIError.invalid("A key cannot revoke itself") }
            try await store.revokeAPIKey(id: keyId)
            return "Key \(keyId) revoked."
        }
    }
}
