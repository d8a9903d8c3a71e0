import HTTPTypes
import Hummingbird

/// Keeps every answer to `HEAD` bodiless (RFC 9110 §9.3.2): the same status and headers,
/// `Content-Length` included where the `GET` would have one, and no content.
///
/// The router answers `HEAD` wherever there is a `GET` (`buildRouter` makes it with
/// `.autoGenerateHeadEndpoints`), by running the `GET` route in full: access, rate limit
/// and all, so a `HEAD` costs what the `GET` costs and is allowed where the `GET` is. This
/// middleware covers every other answer to a `HEAD` too: the errors of the route and its
/// access (401, 404, 429), and the router's own 404 and 405 for a path without a `GET`,
/// which would otherwise carry their error body. A body that would have been streamed
/// (the live event stream) is never started: dropping it gives back what it held
/// (`StreamSlot`).
///
/// `buildRouter` adds it right after the monitoring middleware, in front of the error
/// middleware, so that the request log and metrics see the answer as sent.
struct HeadMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .head else { return try await next(request, context) }
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        return Self.withoutBody(response)
    }

    /// `response`'s status and headers with no content. A length the body declared stays
    /// (it says what a `GET` would get); a streamed body's unknown length stays unsaid.
    static func withoutBody(_ response: Response) -> Response {
        var headers = response.headers
        if let length = response.body.contentLength { headers[.contentLength] = String(length) }
        var bodiless = Response(status: response.status, headers: headers, body: ResponseBody())
        // `Response` adds `Content-Length: 0` for an empty body when none is set.
        if response.body.contentLength == nil { bodiless.headers[.contentLength] = nil }
        return bodiless
    }
}
