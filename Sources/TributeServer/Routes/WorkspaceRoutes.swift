import Hummingbird
import TributeCore
import TributeStore

/// Workspaces, their credit grants and their budgets.
struct WorkspaceRoutes<Store: TributeStore>: Sendable {
    let store: Store
    let auth: Auth<Store>

    var endpoints: RouteCollection<TributeContext> {
        let routes = RouteCollection(context: TributeContext.self)
        routes.group().add(middleware: auth.requireKey(.admin))
            .post("/v1/workspaces", use: create)
            .get("/v1/workspaces", use: list)
        routes.group().add(middleware: auth.requireKey(.anyRole, workspaceFrom: "id"))
            .get("/v1/workspaces/{id}", use: get)
        routes.group().add(middleware: auth.requireKey(.admin, workspaceFrom: "id"))
            .patch("/v1/workspaces/{id}", use: update)
            .post("/v1/workspaces/{id}/credit-grants", use: grantCredits)
        routes.group().add(middleware: auth.requireKey(.adminOrService, workspaceFrom: "id"))
            .get("/v1/workspaces/{id}/budgets", use: budgets)
            .put("/v1/workspaces/{id}/budgets/{scope}", use: putBudget)
            .delete("/v1/workspaces/{id}/budgets/{scope}", use: deleteBudget)
        return routes
    }

    @Sendable func create(_ request: Request, _ context: TributeContext) async throws -> Response {
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

    @Sendable func list(_ request: Request, _ context: TributeContext) async throws -> Response {
        let paging = try API.paging(request)
        return API.page(try await store.workspaces(limit: paging.limit, cursor: paging.cursor))
    }

    @Sendable func get(_ request: Request, _ context: TributeContext) async throws -> Response {
        API.json(try await store.workspace(id: try context.requireWorkspaceId()).json)
    }

    @Sendable func update(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try context.requireWorkspaceId()
        var fields = try await API.fields(request)
        let patch = WorkspacePatch(planId: try fields.identifier("planId"), status: try fields.choice("status", WorkspaceStatus.self), name: try fields.string("name"),
                                   lowBalanceThreshold: try fields.amount("lowBalanceThreshold"))
        try fields.rejectUnknown()
        return API.json(try await store.updateWorkspace(id: id, patch: patch).json)
    }

    @Sendable func grantCredits(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try context.requireWorkspaceId()
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

    @Sendable func budgets(_ request: Request, _ context: TributeContext) async throws -> Response {
        API.json(API.list(try await store.budgets(workspaceId: try context.requireWorkspaceId())))
    }

    @Sendable func putBudget(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try context.requireWorkspaceId()
        let scope = try Self.scope(context)
        var fields = try await API.fields(request)
        let limit = try fields.requiredAmount("limit")
        let unit = try fields.requiredChoice("unit", BudgetUnit.self)
        let period = try fields.requiredChoice("period", BudgetPeriod.self)
        try fields.rejectUnknown()
        let view = try await store.putBudget(workspaceId: id, scope: scope, limit: limit, unit: unit, period: period)
        return API.json(view.json)
    }

    @Sendable func deleteBudget(_ request: Request, _ context: TributeContext) async throws -> Response {
        try await store.deleteBudget(workspaceId: try context.requireWorkspaceId(), scope: try Self.scope(context))
        return Response(status: .noContent)
    }

    /// The budget scope of the path: `user:<id>`, `agent:<id>` or `run:<id>`.
    static func scope(_ context: TributeContext) throws -> BudgetScope {
        let text = try API.parameter(context, "scope")
        guard let scope = BudgetScope(parsing: text) else { throw APIError.invalid("scope must be user:<id>, agent:<id> or run:<id>") }
        return scope
    }
}
