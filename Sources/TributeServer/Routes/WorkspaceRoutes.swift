import HTTPTypes
import Hummingbird
import TributeCore
import TributeStore

/// Workspaces, their credit grants and their budgets.
struct WorkspaceRoutes<Store: TributeStore>: Sendable {
    let store: Store
    let auth: Auth<Store>
    /// The cap on a workspace's budgets (`TRIBUTE_MAX_BUDGETS_PER_WORKSPACE`).
    let limits: CollectionLimits

    /// Budgets in the answer of `GET .../budgets` without `limit` or `cursor` (SPEC §3's
    /// array), whatever the cap: a workspace with more (made under a higher cap) gets the
    /// first ones by scope and a `Link` to the next page.
    static var maxUnpagedBudgets: Int { 1_000 }

    var endpoints: RouteCollection<TributeContext> {
        let routes = RouteCollection(context: TributeContext.self)
        routes.group().add(middleware: auth.requireKey(.admin))
            .post("/v1/workspaces", use: create)
            .get("/v1/workspaces", use: list)
        routes.group().add(middleware: auth.requireKey(.anyRole, workspaceFrom: "id"))
            .get("/v1/workspaces/{id}", use: get)
        routes.group().add(middleware: auth.requireKey(.admin, workspaceFrom: "id"))
            .patch("/v1/workspaces/{id}", use: update)
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

    /// The budgets by scope. With `limit` or `cursor`: a page, `{items, nextCursor}`, as
    /// every list. Without either: SPEC §3's array, of at most `maxUnpagedBudgets`; when
    /// there are more, `Link: <…?limit=500&cursor=…>; rel="next"` says where they go on.
    @Sendable func budgets(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try context.requireWorkspaceId()
        let query = request.uri.queryParameters
        guard query.has("limit") || query.has("cursor") else {
            let first = try await store.budgets(workspaceId: id, limit: Self.maxUnpagedBudgets, cursor: nil)
            var headers: HTTPFields = [:]
            if let next = first.nextCursor { headers[.link] = "</v1/workspaces/\(id)/budgets?limit=500&cursor=\(next)>; rel=\"next\"" }
            return API.json(API.list(first.items), headers: headers)
        }
        let paging = try API.paging(request, maxCursorBytes: BudgetPages.maxCursorBytes)
        return API.page(try await store.budgets(workspaceId: id, limit: paging.limit, cursor: paging.cursor))
    }

    @Sendable func putBudget(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try context.requireWorkspaceId()
        let scope = try Self.scope(context)
        var fields = try await API.fields(request)
        let terms = try WorkspaceInput.budget(from: &fields)
        try fields.rejectUnknown()
        try WorkspaceInput.checkMayChange(scope, by: try context.requirePrincipal())
        try await WorkspaceInput.checkKeyScope(scope, workspaceId: id) { try await store.apiKeys() }
        let view = try await store.putBudget(workspaceId: id, scope: scope, limit: terms.limit, unit: terms.unit, period: terms.period,
                                             maxBudgets: limits.budgetsPerWorkspace)
        return API.json(view.json)
    }

    @Sendable func deleteBudget(_ request: Request, _ context: TributeContext) async throws -> Response {
        let scope = try WorkspaceInput.existingScope(try API.parameter(context, "scope"))
        try WorkspaceInput.checkMayChange(scope, by: try context.requirePrincipal())
        try await store.deleteBudget(workspaceId: try context.requireWorkspaceId(), scope: scope)
        return Response(status: .noContent)
    }

    /// The budget scope of the path: `user:<id>`, `agent:<id>` or `run:<id>`.
    static func scope(_ context: TributeContext) throws -> BudgetScope {
        try WorkspaceInput.scope(try API.parameter(context, "scope"))
    }
}

extension HTTPField.Name {
    /// RFC 8288 `Link`: where the rest of a list too long for one answer is.
    static let link = HTTPField.Name("Link")!
}
