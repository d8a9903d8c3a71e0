import Hummingbird
import TributeCore

extension API {
    func registerWorkspaces(_ routes: inout RouteTable) {
        routes.on("/v1/workspaces", .post) { request, _ in try await createWorkspace(request) }
        routes.on("/v1/workspaces", .get) { request, _ in
            _ = try await auth.require(request, .admin)
            let paging = try API.paging(request)
            let page = try await store.workspaces(limit: paging.limit, cursor: paging.cursor)
            return API.json(.object(["items": API.list(page.items), "nextCursor": .optional(page.nextCursor)]))
        }
        routes.on("/v1/workspaces/{id}", .get) { request, context in
            let id = try API.workspaceId(context)
            _ = try await auth.require(request, .anyRole, workspace: id)
            return API.json(try await store.workspace(id: id).json)
        }
        routes.on("/v1/workspaces/{id}", .patch) { request, context in try await updateWorkspace(request, context) }
        routes.on("/v1/workspaces/{id}/credit-grants", .post) { request, context in try await grantCredits(request, context) }
        routes.on("/v1/workspaces/{id}/budgets", .get) { request, context in
            let id = try API.workspaceId(context)
            _ = try await auth.require(request, .adminOrService, workspace: id)
            return API.json(API.list(try await store.budgets(workspaceId: id)))
        }
        routes.on("/v1/workspaces/{id}/budgets/{scope}", .put) { request, context in try await putBudget(request, context) }
        routes.on("/v1/workspaces/{id}/budgets/{scope}", .delete) { request, context in
            let id = try API.workspaceId(context)
            _ = try await auth.require(request, .adminOrService, workspace: id)
            let scope = try API.scope(context)
            try await store.deleteBudget(workspaceId: id, scope: scope)
            return Response(status: .noContent)
        }
    }

    func createWorkspace(_ request: Request) async throws -> Response {
        _ = try await auth.require(request, .admin)
        var fields = try await API.fields(request)
        let id = try fields.identifier("id")
        let name = try fields.requiredString("name")
        let planId = try fields.identifier("planId") ?? { throw APIError.malformed("planId is required") }()
        let anchorText = try fields.string("anchorDate", maxLength: 10)
        try fields.rejectUnknown()
        var anchor: CivilDate?
        if let anchorText {
            guard let date = CivilDate(parsing: anchorText) else { throw APIError.invalid("anchorDate must be a date YYYY-MM-DD") }
            anchor = date
        }
        let view = try await store.createWorkspace(WorkspaceDraft(id: id, name: name, planId: planId, anchorDate: anchor))
        return API.json(view.json, status: .created)
    }

    func updateWorkspace(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try API.workspaceId(context)
        _ = try await auth.require(request, .admin)
        var fields = try await API.fields(request)
        let patch = WorkspacePatch(planId: try fields.identifier("planId"), status: try fields.choice("status", WorkspaceStatus.self), name: try fields.string("name"),
                                   lowBalanceThreshold: try fields.amount("lowBalanceThreshold"))
        try fields.rejectUnknown()
        return API.json(try await store.updateWorkspace(id: id, patch: patch).json)
    }

    func grantCredits(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try API.workspaceId(context)
        _ = try await auth.require(request, .admin)
        var fields = try await API.fields(request)
        let amount = try fields.requiredAmount("amount", in: Amount(micros: 1)...Amount.max)
        let expiresText = try fields.string("expiresAt", maxLength: 40)
        let note = try fields.string("note", maxLength: 500)
        try fields.rejectUnknown()
        var expiresAt: Int64?
        if let expiresText {
            guard let millis = ISOTime.parse(expiresText) else { throw APIError.invalid("expiresAt must be an ISO 8601 UTC time, e.g. 2030-01-01T00:00:00Z") }
            expiresAt = millis
        }
        let grant = try await store.grantCredits(workspaceId: id, grant: CreditGrantDraft(amount: amount, expiresAt: expiresAt, note: note))
        return API.json(grant.json, status: .created)
    }

    func putBudget(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try API.workspaceId(context)
        _ = try await auth.require(request, .adminOrService, workspace: id)
        let scope = try API.scope(context)
        var fields = try await API.fields(request)
        let limit = try fields.requiredAmount("limit")
        let unit = try fields.choice("unit", BudgetUnit.self) ?? { throw APIError.malformed("unit is required") }()
        let period = try fields.choice("period", BudgetPeriod.self) ?? { throw APIError.malformed("period is required") }()
        try fields.rejectUnknown()
        let view = try await store.putBudget(workspaceId: id, scope: scope, limit: limit, unit: unit, period: period)
        return API.json(view.json)
    }

    static func scope(_ context: TributeContext) throws -> BudgetScope {
        let text = try parameter(context, "scope")
        guard let scope = BudgetScope(parsing: text) else { throw APIError.invalid("scope must be user:<id>, agent:<id> or run:<id>") }
        return scope
    }
}
