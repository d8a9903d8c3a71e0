import Hummingbird
import TributeCore
import TributeStore

/// A workspace's live stream of events, decisions and balances (Server-Sent Events).
struct EventRoutes<Store: TributeStore>: Sendable {
    let auth: Auth<Store>
    /// The live streams: one database reader per watched workspace, and the caps.
    let streams: StreamHub<Store>

    /// Who may watch a workspace: on opening the stream, and at every re-check.
    static var watchers: Set<Role> { .anyRole }

    var endpoints: RouteCollection<TributeContext> {
        let routes = RouteCollection(context: TributeContext.self)
        routes.group().add(middleware: auth.requireKey(Self.watchers, workspaceFrom: "id"))
            .get("/v1/workspaces/{id}/events", use: events)
        return routes
    }

    /// The stream, resumed from `Last-Event-ID` or `?after=`. Opening it takes a token, and
    /// so does each page it replays to catch up; while it runs, its key is re-checked
    /// without one, and a revoked key, or one no longer allowed on the workspace, ends it.
    @Sendable func events(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try context.requireWorkspaceId()
        let principal = try context.requirePrincipal()
        return try await LiveStream.response(
            hub: streams, workspaceId: id, keyId: principal.keyId, request: request, context: context,
            charge: .tokens(of: principal, from: auth.rateLimiter),
            isAuthorized: auth.stillAdmits(request, by: .bearerKey, roles: Self.watchers, workspaceId: id))
    }
}
