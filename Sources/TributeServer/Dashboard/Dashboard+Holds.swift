import Hummingbird
import TributeCore
import TributeStore

extension Dashboard {
    /// The workspace page's release button: gives back what the hold still holds, as
    /// `POST /v1/holds/{id}/release` does with the signed-in key's access, and answers the
    /// page with what happened (or why not, with the API's status).
    @Sendable func releaseHold(_ request: Request, _ context: TributeContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let workspaceId = try context.requireWorkspaceId()
        guard DashboardSession.isSameOrigin(request) else { throw APIError.forbidden("Use the dashboard's own forms") }
        let holdId = try HoldRoutes<Store>.holdId(context)
        // The path's workspace was checked against the key; the hold must belong to it too.
        let access = HoldRoutes<Store>.access(principal)
        let notice: String
        var status: HTTPResponse.Status = .ok
        do {
            _ = try await store.releaseHold(id: holdId, canAccess: { $0 == workspaceId && access($0) }, idempotency: nil)
            notice = "Hold \(holdId) released: what it held is available again."
        } catch let error as TributeError {
            notice = "Hold \(holdId) was not released: \(error.message)"
            status = APIError(error).status
        }
        var response = Dashboard.html(try await workspacePage(principal: principal, id: workspaceId, notice: notice).render(principal: principal))
        response.status = status
        return response
    }
}
