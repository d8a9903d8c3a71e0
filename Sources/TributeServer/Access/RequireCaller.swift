import Hummingbird
import TributeCore
import TributeStore

/// The access rule of a group of routes, as middleware: admits the caller (`Auth.admit`:
/// key, rate limit, role), then, where the path names a workspace, checks that the key may
/// act on it, and puts both into the context. Handlers read `context.requirePrincipal()`
/// and `context.requireWorkspaceId()` and never check access again.
///
/// The key comes first, so a caller without one learns nothing about the path, and every
/// call with a key takes a token, whatever its path holds.
struct RequireCaller<Store: TributeStore>: RouterMiddleware {
    typealias Context = TributeContext

    let auth: Auth<Store>
    let credential: Auth<Store>.Credential
    let roles: Set<Role>
    /// The path parameter that names the caller's workspace; `nil` when the path names none.
    let workspaceParameter: String?

    func handle(_ request: Request, context: TributeContext, next: (Request, TributeContext) async throws -> Response) async throws -> Response {
        var context = context
        let principal = try await auth.admit(request, by: credential, roles: roles, from: context.clientAddress)
        if let workspaceParameter {
            let workspaceId = try API.workspaceId(context, parameter: workspaceParameter)
            try principal.checkAccess(toWorkspace: workspaceId)
            context.workspaceId = workspaceId
        }
        context.principal = principal
        return try await next(request, context)
    }
}
