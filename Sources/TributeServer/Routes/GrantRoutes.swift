import Hummingbird
import TributeCore
import TributeStore

/// A workspace's credit grants (SPEC §3.9): issued by an admin, listed with their terms,
/// moved in the draw order.
struct GrantRoutes<Store: TributeStore>: Sendable {
    let store: Store
    let auth: Auth<Store>

    var endpoints: RouteCollection<TributeContext> {
        let routes = RouteCollection(context: TributeContext.self)
        // Admin only (SPEC §2): a grant's cost basis is finance's.
        routes.group().add(middleware: auth.requireKey(.admin, workspaceFrom: "id"))
            .post("/v1/workspaces/{id}/credit-grants", use: grant)
            .get("/v1/workspaces/{id}/credit-grants", use: list)
            .patch("/v1/workspaces/{id}/credit-grants/{grantId}", use: setPriority)
        return routes
    }

    @Sendable func grant(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try context.requireWorkspaceId()
        var fields = try await API.fields(request)
        let draft = try WorkspaceInput.grant(from: &fields)
        try fields.rejectUnknown()
        return API.json(try await store.grantCredits(workspaceId: id, grant: draft).json, status: .created)
    }

    @Sendable func list(_ request: Request, _ context: TributeContext) async throws -> Response {
        let paging = try API.paging(request)
        return API.page(try await store.grants(workspaceId: try context.requireWorkspaceId(), limit: paging.limit, cursor: paging.cursor))
    }

    /// `{priority}`: where the grant stands in the draw order from now on.
    @Sendable func setPriority(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try context.requireWorkspaceId()
        let grantId = try API.parameter(context, "grantId")
        guard Fields.isIdentifier(grantId) else { throw APIError(.grantNotFound(grantId)) }
        var fields = try await API.fields(request)
        let priority = try fields.requiredInteger("priority", in: Int64(GrantTerms.priorityRange.lowerBound)...Int64(GrantTerms.priorityRange.upperBound))
        try fields.rejectUnknown()
        return API.json(try await store.setGrantPriority(workspaceId: id, grantId: grantId, priority: Int(priority)).json)
    }
}
