import Hummingbird
import TributeCore
import TributeStore

/// The endpoints that receive the outbox's events, signed, and their delivery logs. Admins
/// only: an endpoint sees every workspace's events.
struct WebhookRoutes<Store: TributeStore>: Sendable {
    let store: Store
    let auth: Auth<Store>
    /// Which webhook URLs an admin may register.
    let webhookURLs: WebhookURLPolicy
    /// The cap on live endpoints (`TRIBUTE_MAX_WEBHOOK_ENDPOINTS`).
    let limits: CollectionLimits

    var endpoints: RouteCollection<TributeContext> {
        let routes = RouteCollection(context: TributeContext.self)
        routes.group().add(middleware: auth.requireKey(.admin))
            .post("/v1/webhook-endpoints", use: create)
            .get("/v1/webhook-endpoints", use: list)
            .delete("/v1/webhook-endpoints/{endpointId}", use: delete)
            .get("/v1/webhook-endpoints/{endpointId}/deliveries", use: deliveries)
        return routes
    }

    /// A new endpoint; its signing secret is in this answer only.
    @Sendable func create(_ request: Request, _ context: TributeContext) async throws -> Response {
        var fields = try await API.fields(request)
        guard let url = try fields.string("url", maxLength: 2048) else { throw APIError.malformed("url is required") }
        try Self.checkURL(url, policy: webhookURLs)
        let eventTypes = try Self.eventTypes(try fields.strings("eventTypes", maxCount: Self.deliverableEventTypes.count) ?? [])
        let description = try fields.string("description", maxLength: 500)
        try fields.rejectUnknown()
        let (endpoint, secret) = try await store.createWebhookEndpoint(url: url, eventTypes: eventTypes, description: description,
                                                                   maxEndpoints: limits.webhookEndpoints)
        guard case .object(var body) = endpoint.json else { throw APIError.malformed("unreachable") }
        body["secret"] = .string(secret)
        return API.json(.object(body), status: .created)
    }

    /// - Throws: 422 for a URL of another shape, or one `policy` refuses.
    static func checkURL(_ url: String, policy webhookURLs: WebhookURLPolicy) throws {
        guard Self.isWebhookURL(url), let host = WebhookURLPolicy.host(ofURL: url) else {
            throw APIError.invalid("url must be an http:// or https:// URL with a host name or IPv4 address, and a port from 1 to 65535 if it names one")
        }
        do {
            _ = try webhookURLs.check(host: host)
        } catch {
            throw APIError.invalid(error.description)
        }
    }

    /// The distinct event types `names` lists, sorted.
    /// - Throws: 422 for a name of no deliverable type.
    static func eventTypes(_ names: [String]) throws -> [EventType] {
        var types: Set<EventType> = []
        for name in names {
            guard let type = EventType(rawValue: name), deliverableEventTypes.contains(type) else {
                throw APIError.invalid("eventTypes may hold: \(deliverableEventTypes.map(\.rawValue).joined(separator: ", "))")
            }
            types.insert(type)
        }
        return types.sorted { $0.rawValue < $1.rawValue }
    }

    @Sendable func list(_ request: Request, _ context: TributeContext) async throws -> Response {
        API.json(API.list(try await store.webhookEndpoints()))
    }

    @Sendable func delete(_ request: Request, _ context: TributeContext) async throws -> Response {
        try await store.deleteWebhookEndpoint(id: try Self.endpointId(context))
        return Response(status: .noContent)
    }

    @Sendable func deliveries(_ request: Request, _ context: TributeContext) async throws -> Response {
        let paging = try API.paging(request)
        return API.page(try await store.webhookDeliveries(endpointId: try Self.endpointId(context), limit: paging.limit, cursor: paging.cursor))
    }

    /// The event types an endpoint can receive (decisions go to the live stream only).
    static var deliverableEventTypes: [EventType] { EventType.allCases.filter { $0 != .decision } }

    /// The endpoint id of the path; one that is no identifier names no endpoint.
    static func endpointId(_ context: TributeContext) throws -> String {
        let id = try API.parameter(context, "endpointId")
        guard Fields.isIdentifier(id) else { throw APIError(.webhookEndpointNotFound(id)) }
        return id
    }

    /// `http(s)://host[:port][/path]`: a host name (`WebhookURLPolicy.isHostName`: labels
    /// of letters, digits and `-` that neither start nor end with `-`), a port from 1 to
    /// 65535 written without leading zeros, and a path of printable ASCII — exactly the
    /// pattern `openapi.yaml` gives. IPv6 literals are not accepted (a name with an AAAA
    /// record is). Where the host may point is `WebhookURLPolicy`'s to say.
    static func isWebhookURL(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let prefix = text.hasPrefix("https://") ? 8 : text.hasPrefix("http://") ? 7 : 0
        guard prefix > 0 else { return false }
        var index = prefix
        func isHostByte(_ byte: UInt8) -> Bool {
            (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 46 || byte == 45
        }
        while index < bytes.count, isHostByte(bytes[index]) { index += 1 }
        guard WebhookURLPolicy.isHostName(String(decoding: bytes[prefix..<index], as: UTF8.self)) else { return false }
        if index < bytes.count, bytes[index] == 58 {
            let start = index + 1
            index = start
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { index += 1 }
            let digits = bytes[start..<index]
            guard (1...5).contains(digits.count), digits.first != 48,
                  let port = Int(String(decoding: digits, as: UTF8.self)), port <= 65535 else { return false }
        }
        guard index < bytes.count else { return true }
        return bytes[index] == 47 && bytes[index...].allSatisfy { $0 >= 33 && $0 <= 126 }
    }
}
