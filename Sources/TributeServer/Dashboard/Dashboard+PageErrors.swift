import Hummingbird
import TributeCore

extension Dashboard {
    /// Answers a page's failures as pages: the sign-in page for a missing or ended sign-in,
    /// an HTML error with the API's status and message for anything a caller did wrong.
    /// Anything else (the database down, a bug) goes on to the error middleware.
    struct PageErrors: RouterMiddleware {
        typealias Context = TributeContext

        func handle(_ request: Request, context: TributeContext, next: (Request, TributeContext) async throws -> Response) async throws -> Response {
            do {
                return try await next(request, context)
            } catch let error as APIError where error.status == .unauthorized {
                return Dashboard.redirect("/sign-in")
            } catch let error as APIError {
                return Dashboard.html(Dashboard.errorPage(error.message), status: error.status)
            } catch let error as TributeError {
                return Dashboard.html(Dashboard.errorPage(error.message), status: APIError(error).status)
            }
        }
    }
}
