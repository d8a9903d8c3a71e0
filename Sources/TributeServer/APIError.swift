import Hummingbird
import TributeCore
import TributeStore

/// An error as the API answers it: a status and `{"error":{"code","message"}}`.
struct APIError: HTTPResponseError {
    let status: HTTPResponse.Status
    let code: String
    let message: String
    var headers: HTTPFields = [:]

    init(status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// The one mapping from domain errors to HTTP statuses.
    init(_ error: TributeError) {
        let status: HTTPResponse.Status = switch error {
        case .invalidValue, .amountTooLarge, .unknownActionType, .invalidMultiplier, .invalidUsage, .notReversible, .exceedsHold, .extendsPastPeriod: .unprocessableContent
        case .workspaceNotFound, .planNotFound, .budgetNotFound, .apiKeyNotFound, .purchaseNotFound, .grantNotFound, .statementNotFound, .webhookEndpointNotFound,
             .transactionNotFound, .decisionNotFound, .holdNotFound: .notFound
        // A body field naming no package on sale: the request, not the path, is wrong.
        case .packageNotFound: .unprocessableContent
        case .alreadyExists, .idempotencyKeyReused, .alreadyReversed, .holdExpired, .holdClosed, .workspaceSuspended: .conflict
        case .overloaded: .tooManyRequests
        // A cap on what a tenant may make: the request is valid, the collection is full.
        case .tooManyBudgets, .tooManyWebhookEndpoints, .tooManyAPIKeys: .unprocessableContent
        }
        self.init(status: status, code: error.code, message: error.message)
        if error == .overloaded { headers[.retryAfter] = "1" }
    }

    // The edge's own failures: only a request as it arrives over HTTP can have them, so they
    // are no cases of the domain's `TributeError`.

    /// 400 `malformed_request`: the body is not JSON, or a field or path parameter is
    /// missing or of the wrong type.
    static func malformed(_ message: String) -> APIError { APIError(status: .badRequest, code: "malformed_request", message: message) }

    /// 403 `key_frozen`: the key is frozen (SPEC §3.7); an admin thaws it with
    /// `PATCH /v1/api-keys/{id}` `{"status":"active"}`.
    static let keyFrozen = APIError(
        status: .forbidden, code: "key_frozen", message: "This API key is frozen; an admin can thaw it with PATCH /v1/api-keys/{id} {\"status\":\"active\"}")

    /// 401 `unauthenticated`, with `WWW-Authenticate: Bearer`: no API key, or one that is
    /// unknown or revoked.
    static var unauthenticated: APIError {
        var error = APIError(status: .unauthorized, code: "unauthenticated", message: "A valid API key is required: Authorization: Bearer <key>")
        error.headers[.wwwAuthenticate] = "Bearer"
        return error
    }

    /// 403 `forbidden`: the key is valid but its role or workspaces do not allow this.
    static func forbidden(_ message: String) -> APIError { APIError(status: .forbidden, code: "forbidden", message: message) }

    /// 413 `payload_too_large`: the body passes its limit (`API.maxBodyBytes`).
    static var payloadTooLarge: APIError { APIError(status: .contentTooLarge, code: "payload_too_large", message: "The request body is too large") }

    /// 422 `invalid_value`: a well-formed field out of range.
    static func invalid(_ message: String) -> APIError { APIError(.invalidValue(message)) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        let body = JSON.object(["error": .object(["code": .string(code), "message": .string(message)])]).serialized
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// Turns every error into the API's error body: domain errors by their mapping, the
/// router's own (404) likewise, and anything unexpected into a 500 that reveals nothing.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as TributeError {
            throw APIError(error)
        } catch is StoreUnavailable {
            var error = APIError(status: .serviceUnavailable, code: "unavailable", message: "The database is unavailable; try again shortly")
            error.headers[.retryAfter] = "1"
            throw error
        } catch let error as HTTPError {
            switch error.status {
            case .notFound: throw APIError(status: .notFound, code: "not_found", message: "No such route: \(request.method) \(request.uri.path)")
            case .contentTooLarge: throw APIError.payloadTooLarge
            default: throw APIError(status: error.status, code: "http_\(error.status.code)", message: error.status.reasonPhrase)
            }
        } catch {
            // Database errors describe the statement, never its arguments (GRDB keeps those
            // private by default; PostgreSQL's are reduced to their code and message), so no
            // key or body reaches the log.
            context.logger.error("internal error", metadata: ["error": "\(describe(error))", "route": "\(request.method) \(request.uri.path)"])
            throw APIError(status: .internalServerError, code: "internal", message: "Internal error")
        }
    }
}
