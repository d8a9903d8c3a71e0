import Hummingbird
import TributeCore
import TributeStore

/// Liveness, readiness and the API contract: open to anyone, without a key, so that load
/// balancers and clients can read them.
struct SystemRoutes<Store: TributeStore>: Sendable {
    let store: Store

    var endpoints: RouteCollection<TributeContext> {
        RouteCollection(context: TributeContext.self)
            .get("/healthz", use: health)
            .get("/readyz", use: ready)
            .get("/openapi.yaml", use: openAPI)
    }

    @Sendable func health(_ request: Request, _ context: TributeContext) async throws -> Response {
        API.json(.object(["status": .string("ok")]))
    }

    /// - Throws: 503 `not_ready` while the database does not answer.
    @Sendable func ready(_ request: Request, _ context: TributeContext) async throws -> Response {
        guard await store.isReady() else {
            throw APIError(status: .serviceUnavailable, code: "not_ready", message: "The database does not answer")
        }
        return API.json(.object(["status": .string("ready")]))
    }

    @Sendable func openAPI(_ request: Request, _ context: TributeContext) async throws -> Response {
        API.text(OpenAPIDocument.text, contentType: "application/yaml")
    }
}
