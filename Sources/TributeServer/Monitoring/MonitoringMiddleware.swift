import Hummingbird
import Logging
import NIOCore
import TributeStore

/// Watches every request (SPEC §3.4): gives it an id (`X-Request-Id`, echoed or made) that
/// every log line of the request carries (`RequestID.current`, which the application's
/// logger reads), counts it and its time in `TributeMetrics`, and logs one `info` line once
/// its response is ready, with the method, the route's pattern, the status, the time and
/// the id — never a key, a header, the query or the body.
///
/// `buildRouter` adds it first, in front of the error middleware, so that it sees every
/// answer as its status: an error the layers inside throw is turned into its response here
/// (as the router would do next), so that 401s, 404s and 405s carry the id too.
struct MonitoringMiddleware: RouterMiddleware {
    typealias Context = TributeContext

    let metrics: TributeMetrics
    let logRequests: Bool

    func handle(_ request: Request, context: TributeContext, next: (Request, TributeContext) async throws -> Response) async throws -> Response {
        let startedNanos = NIODeadline.now().uptimeNanoseconds
        let requestId = RequestID.of(request.headers)
        var response: Response
        do {
            response = try await RequestID.$current.withValue(requestId) { try await next(request, context) }
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            // The error middleware inside turns every error into an answer; this is a guard
            // against a layer added in front of it.
            context.logger.error("internal error", metadata: ["error": "\(describe(error))", "request_id": .string(requestId)])
            response = try APIError(status: .internalServerError, code: "internal", message: "Internal error").response(from: request, context: context)
        }
        response.headers[RequestID.header] = requestId
        let elapsedNanos = NIODeadline.now().uptimeNanoseconds &- startedNanos
        let method = HTTPMetrics.label(request.method)
        let route = Self.route(context.endpointPath)
        let status = Int(response.status.code)
        metrics.http.record(method: method, route: route, status: status, nanoseconds: elapsedNanos)
        if logRequests {
            context.logger.info("request", metadata: [
                "method": .string(method), "route": .string(route), "status": .stringConvertible(status),
                "duration_ms": .string(Self.millis(nanoseconds: elapsedNanos)), "request_id": .string(requestId),
            ])
        }
        return response
    }

    /// The `route` label: the pattern of the route that answered, or `unmatched` when none
    /// did (the router marks its own 404 `NotFound`).
    static func route(_ endpointPath: String?) -> String {
        guard let endpointPath, endpointPath != "NotFound" else { return "unmatched" }
        return endpointPath
    }

    /// Milliseconds with three decimals (`1.042`), written from integers.
    static func millis(nanoseconds: UInt64) -> String {
        let micros = nanoseconds / 1_000
        let fraction = String(micros % 1_000)
        return String(micros / 1_000) + "." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
