import HTTPTypes
import Hummingbird

/// Answers `405 Method Not Allowed`, with an `Allow` header naming the path's methods (with
/// `HEAD` beside every `GET`, see `HeadMiddleware`), for a known path asked with a method
/// it does not have; Hummingbird's router answers 404.
///
/// `buildRouter` adds it after every route: middleware applies only to what is added after
/// it, and to the router's not-found answer, which is built last — so it runs only when no
/// route matched. It then looks the request up in a second router holding, for each path
/// of `routes`, a route for every other method of `answeredMethods` that throws the 405.
/// The two routers resolve paths the same way, so they cannot disagree on what a path is,
/// and the main router lists only real routes (`Router.routes`, which the contract test
/// compares with `openapi.yaml`).
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = TributeContext

    /// The methods answered 405 on a known path; any other method there is 404.
    static let answeredMethods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options, .trace, .connect, HTTPRequest.Method("QUERY")!]

    private let otherMethods: RouterResponder<TributeContext>

    /// - Parameter routes: every route of the router this middleware is added to.
    init(routes: [Router<TributeContext>.RouteDescription]) {
        var methodsByPath: [String: (path: RouterPath, methods: [HTTPRequest.Method])] = [:]
        for route in routes { methodsByPath[route.path.description, default: (route.path, [])].methods.append(route.method) }
        // The router answers `HEAD` wherever there is a `GET` (`.autoGenerateHeadEndpoints`).
        for (key, entry) in methodsByPath where entry.methods.contains(.get) && !entry.methods.contains(.head) {
            methodsByPath[key]?.methods.append(.head)
        }
        let router = Router(context: TributeContext.self)
        for (path, methods) in methodsByPath.values {
            let allow = methods.map(\.rawValue).sorted().joined(separator: ", ")
            for method in Self.answeredMethods where !methods.contains(method) {
                router.on(path, method: method) { _, _ -> Response in throw APIError.methodNotAllowed(allow: allow) }
            }
        }
        otherMethods = router.buildResponder()
    }

    func handle(_ request: Request, context: TributeContext, next: (Request, TributeContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            // The second router answers its 405, or its own 404 for a path no route has.
            let response = try await otherMethods.respond(to: request, context: context)
            guard response.status == .methodNotAllowed else { throw error }
            return response
        }
    }
}

extension APIError {
    /// `405 method_not_allowed`, with `Allow: <methods>`.
    static func methodNotAllowed(allow: String) -> APIError {
        var error = APIError(status: .methodNotAllowed, code: "method_not_allowed", message: "Allowed: \(allow)")
        error.headers[.allow] = allow
        return error
    }
}
