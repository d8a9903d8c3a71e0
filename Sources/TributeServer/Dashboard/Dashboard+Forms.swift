import Hummingbird
import TributeCore

extension Dashboard {
    /// A form post from one of the dashboard's pages: checked to come from this origin,
    /// applied by `apply`, and answered with `page` showing what happened — or why not, with
    /// the API's status for the same mistake (422 for a value out of range, 404, 409) and
    /// nothing changed, since every `apply` validates before it writes.
    func answerForm(_ request: Request, _ context: TributeContext, page: (Principal, String) async throws -> Response,
                    apply: (inout FormBody, Principal) async throws -> String) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard DashboardSession.isSameOrigin(request) else { throw APIError.forbidden("Use the dashboard's own forms") }
        var form = FormBody(try await API.bytes(request))
        let notice: String
        var status: HTTPResponse.Status = .ok
        do {
            notice = try await apply(&form, principal)
        } catch let error as APIError where error.status == .unprocessableContent || error.status == .badRequest {
            // A form's field can only be missing or out of range; either is the form's 422.
            notice = error.message
            status = .unprocessableContent
        } catch let error as TributeError {
            notice = error.message
            status = APIError(error).status
        }
        var response = try await page(principal, notice)
        response.status = status
        return response
    }

    /// A form posted from a workspace page, answered with that page.
    func workspaceForm(_ request: Request, _ context: TributeContext,
                       apply: (inout FormBody, _ workspaceId: String) async throws -> String) async throws -> Response {
        let workspaceId = try context.requireWorkspaceId()
        return try await answerForm(request, context, page: { principal, notice in
            Dashboard.html(try await workspacePage(principal: principal, id: workspaceId, notice: notice).render(principal: principal))
        }, apply: { form, _ in try await apply(&form, workspaceId) })
    }
}
