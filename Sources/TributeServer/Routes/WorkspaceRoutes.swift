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
        let draft = try WorkspaceInput.draft(from: &fields)
        try fields.rejectUnknown()
        return API.json(try await store.createWorkspace(draft).json, status: .created)
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
        let patch = try WorkspaceInput.patch(from: &fields)
        try fields.rejectUnknown()
        return API.json(try await store.updateWorkspace(id: id, patch: patch).json)
    }

    @Sendable func grantCredits(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try context.requireWorkspaceId()
        var fields = try await API.fields(request)
        let draft = try WorkspaceInput.grant(from: &fields)
        try fields.rejectUnknown()
        return API.json(try await store.grantCredits(workspaceId: id, grant: draft).json, status: .created)
    }

    @Sendable func budgets(_ request: Request, _ context: TributeContext) async throws -> Response {
        API.json(API.list(try await store.budgets(workspaceId: try context.requireWorkspaceId())))
    }

    @Sendable func putBudget(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try context.requireWorkspaceId()
        let scope = try Self.scope(context)
        var fields = try await API.fields(request)
        let terms = try WorkspaceInput.budget(from: &fields)
        try fields.rejectUnknown()
        let view = try await store.putBudget(workspaceId: id, scope: scope, limit: terms.limit, unit: terms.unit, period: terms.period)
        return API.json(view.json)
    }

    @Sendable func deleteBudget(_ request: Request, _ context: TributeContext) async throws -> Response {
        try await store.deleteBudget(workspaceId: try context.requireWorkspaceId(), scope: try Self.scope(context))
        return Response(status: .noContent)
    }

    /// The budget scope of the path: `user:<id>`, `agent:<id>` or `run:<id>`.
    static func scope(_ context: TributeContext) throws -> BudgetScope {
        try WorkspaceInput.scope(try API.parameter(context, "scope"))
    }
}
