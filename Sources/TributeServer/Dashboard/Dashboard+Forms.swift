import HTTPTypes
import Hummingbird
import TributeCore

extension Dashboard {
    /// What a form did, and where the browser goes to see it (`nil`: the answer is the page
    /// itself, for forms whose answer shows a secret once).
    struct FormOutcome {
        var notice: String
        var redirectTo: String?
    }

    /// A form post from one of the dashboard's pages: checked to come from this origin and
    /// applied by `apply`. Done, it redirects to its page with the notice (`Flash`), so a
    /// reload never posts it again. Refused, it answers `page` with why and the API's status
    /// for the same mistake (422 for a value out of range, 404, 409), and nothing changed,
    /// since every `apply` validates before it writes.
    func answerForm(_ request: Request, _ context: TributeContext, page: (Principal, String) async throws -> Response,
                    apply: (inout FormBody, Principal) async throws -> FormOutcome) async throws -> Response {
        let principal = try context.requirePrincipal()
        guard DashboardSession.isSameOrigin(request) else { throw APIError.forbidden("Use the dashboard's own forms") }
        var form = FormBody(try await API.bytes(request))
        let notice: String
        var status: HTTPResponse.Status = .ok
        do {
            try form.checkText()
            let outcome = try await apply(&form, principal)
            if let location = outcome.redirectTo, let session = DashboardSession.secret(request) {
                var response = Dashboard.redirect(location)
                response.headers.append(HTTPField(name: .setCookie, value: Flash.setCookie(outcome.notice, sessionSecret: session, for: request)))
                return response
            }
            notice = outcome.notice
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

    /// A form posted from a workspace page, which it returns to.
    func workspaceForm(_ request: Request, _ context: TributeContext,
                       apply: (inout FormBody, _ workspaceId: String) async throws -> String) async throws -> Response {
        let workspaceId = try context.requireWorkspaceId()
        return try await answerForm(request, context, page: { principal, notice in
            Dashboard.html(try await workspacePage(principal: principal, id: workspaceId, notice: notice).render(principal: principal))
        }, apply: { form, _ in FormOutcome(notice: try await apply(&form, workspaceId), redirectTo: "/workspaces/\(workspaceId)") })
    }

    /// A page answer that shows the request's flash notice (read by the caller through
    /// `Flash.notice`) clears its cookie, so it shows once.
    static func clearingFlash(_ response: Response, of request: Request) -> Response {
        guard Flash.isPresent(request) else { return response }
        var response = response
        response.headers.append(HTTPField(name: .setCookie, value: Flash.clearCookie(for: request)))
        return response
    }
}
