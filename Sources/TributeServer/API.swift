import Foundation
import Hummingbird
import TributeCore
import TributePayments
import TributeStore

/// The HTTP API's handlers over a store.
struct API<Store: TributeStore>: Sendable {
    let store: Store
    let auth: Auth<Store>
    /// `nil` when payments are off (no `STRIPE_SECRET_KEY`).
    let stripe: StripeClient?
    let stripeWebhookSecret: String?
    /// Which webhook URLs an admin may register.
    let webhookURLs: WebhookURLPolicy
    /// The live streams: one database reader per watched workspace, and the caps.
    let streams: StreamHub<Store>

    /// Bodies above this are refused with 413 before they are parsed.
    static var maxBodyBytes: Int { 64 * 1024 }
    /// The `context` object of a decision.
    static var maxContextBytes: Int { 16 * 1024 }
    /// Stripe's events carry whole objects; they are larger than the API's own bodies.
    static var maxWebhookBytes: Int { 1024 * 1024 }

    /// - Parameter rateLimiter: the keys' token buckets; by default only keys with a limit
    ///   of their own are limited, on the store's clock.
    init(store: Store, stripe: StripeConfiguration?, webhookURLs: WebhookURLPolicy = .publicOnly, rateLimiter: RateLimiter? = nil,
         streams: LiveStreamSettings = .standard) {
        self.streams = StreamHub(store: store, settings: streams)
        self.store = store
        self.webhookURLs = webhookURLs
        self.auth = Auth(store: store, rateLimiter: rateLimiter ?? RateLimiter(defaultLimit: nil, nowMillis: { store.nowMillis() }))
        self.stripe = stripe.map { StripeClient(configuration: $0) }
        self.stripeWebhookSecret = stripe?.webhookSecret
    }

    func register(_ routes: inout RouteTable) {
        registerSystem(&routes)
        registerAuthorize(&routes)
        registerWorkspaces(&routes)
        registerCatalog(&routes)
        registerLedger(&routes)
        registerKeys(&routes)
        registerPayments(&routes)
        registerWebhooks(&routes)
        registerEvents(&routes)
    }

    /// The body, at most `maxBodyBytes`, as a validated JSON object.
    static func fields(_ request: Request) async throws -> Fields {
        try Fields(body: try await bytes(request))
    }

    static func bytes(_ request: Request, maxBytes: Int = maxBodyBytes) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBytes { throw APIError(.payloadTooLarge) }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxBytes)
        } catch {
            throw APIError(.payloadTooLarge)
        }
        return Array(buffer.readableBytesView)
    }

    static func json(_ value: JSON, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        text(value.serialized, status: status, headers: extra)
    }

    static func text(_ body: String, status: HTTPResponse.Status = .ok, contentType: String = "application/json", headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func list<T: JSONRepresentable>(_ items: [T]) -> JSON { .array(items.map(\.json)) }

    /// A path parameter, percent-decoded.
    static func parameter(_ context: TributeContext, _ name: String) throws -> String {
        guard let raw = context.parameters.get(name), let decoded = raw.removingPercentEncoding, !decoded.isEmpty else {
            throw APIError.malformed("Missing path parameter \(name)")
        }
        return decoded
    }

    /// A workspace id from the path.
    static func workspaceId(_ context: TributeContext) throws -> String {
        let id = try parameter(context, "id")
        guard Fields.isIdentifier(id) else { throw APIError(.workspaceNotFound(id)) }
        return id
    }

    /// `limit` (1...500, default 50) and `cursor` query parameters.
    static func paging(_ request: Request) throws -> (limit: Int, cursor: String?) {
        let query = request.uri.queryParameters
        var limit = 50
        if let text = query.get("limit") {
            guard let value = Int(text), (1...500).contains(value) else { throw APIError.invalid("limit must be a whole number from 1 to 500") }
            limit = value
        }
        let cursor = query.get("cursor")
        if let cursor, cursor.isEmpty || cursor.utf8.count > 40 { throw APIError.invalid("cursor is not one this service gave") }
        return (limit, cursor)
    }
}
