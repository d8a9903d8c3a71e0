import Hummingbird
import TributeCore
import TributeStore

extension Dashboard {
    /// The workspace page's release button: gives back what the hold still holds, as
    /// `POST /v1/holds/{id}/release` does with the signed-in key's access, and answers the
    /// page with what happened (or why not, with the API's status).
    @Sendable func releaseHold(_ request: Request, _ context: TributeContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let holdId = try HoldRoutes<Store>.holdId(context)
        // The path's workspace was checked against the key; the hold must belong to it too.
        let access = HoldRoutes<Store>.access(principal)
        return try await workspaceForm(request, context) { _, workspaceId in
            _ = try await store.releaseHold(id: holdId, canAccess: { $0 == workspaceId && access($0) }, idempotency: nil)
            return "Hold \(holdId) released: what it held is available again."
        }
    }
}
