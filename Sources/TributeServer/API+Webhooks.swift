import Hummingbird
import TributeCore

extension API {
    func registerWebhooks(_ routes: inout RouteTable) {
        routes.on("/v1/webhook-endpoints", .post) { request, _ in
            _ = try await auth.require(request, .admin)
            var fields = try await API.fields(request)
            let url = try fields.string("url", maxLength: 2048) ?? { throw APIError.malformed("url is required") }()
            guard API.isWebhookURL(url), let host = WebhookURLPolicy.host(ofURL: url) else {
                throw APIError.invalid("url must be an http:// or https:// URL with a host name or IPv4 address")
            }
            do {
                _ = try webhookURLs.check(host: host)
            } catch let refusal as WebhookURLPolicy.Refusal {
                throw APIError.invalid(refusal.description)
            }
            let types = try fields.strings("eventTypes", maxCount: EventType.allCases.count)
            let eventTypes = try (types ?? []).map { name in
                guard let type = EventType(rawValue: name), type != .decision else {
                    throw APIError.invalid("eventTypes may hold: \(API.deliverableEventTypes.map(\.rawValue).joined(separator: ", "))")
                }
                return type
            }
            let description = try fields.string("description", maxLength: 500)
            try fields.rejectUnknown()
            let (endpoint, secret) = try await store.createWebhookEndpoint(url: url, eventTypes: Array(Set(eventTypes)).sorted { $0.rawValue < $1.rawValue },
                                                                            description: description)
            guard case .object(var body) = endpoint.json else { throw APIError.malformed("unreachable") }
            body["secret"] = .string(secret)
            return API.json(.object(body), status: .created)
        }
        routes.on("/v1/webhook-endpoints", .get) { request, _ in
            _ = try await auth.require(request, .admin)
            return API.json(API.list(try await store.webhookEndpoints()))
        }
        routes.on("/v1/webhook-endpoints/{endpointId}", .delete) { request, context in
            _ = try await auth.require(request, .admin)
            try await store.deleteWebhookEndpoint(id: try API.endpointId(context))
            return Response(status: .noContent)
        }
        routes.on("/v1/webhook-endpoints/{endpointId}/deliveries", .get) { request, context in
            _ = try await auth.require(request, .admin)
            let paging = try API.paging(request)
            let page = try await store.webhookDeliveries(endpointId: try API.endpointId(context), limit: paging.limit, cursor: paging.cursor)
            return API.json(.object(["items": API.list(page.items), "nextCursor": .optional(page.nextCursor)]))
        }
    }

    /// The event types an endpoint can receive (decisions go to the live stream only).
    static var deliverableEventTypes: [EventType] { EventType.allCases.filter { $0 != .decision } }

    static func endpointId(_ context: TributeContext) throws -> String {
        let id = try parameter(context, "endpointId")
        guard Fields.isIdentifier(id) else { throw APIError(.webhookEndpointNotFound(id)) }
        return id
    }

    /// `http(s)://host[:port][/path]`: a host of letters, digits, `.` and `-`, and a path of
    /// printable ASCII — exactly the pattern `openapi.yaml` gives. IPv6 literals are not
    /// accepted (a name with an AAAA record is). Where the host may point is
    /// `WebhookURLPolicy`'s to say.
    static func isWebhookURL(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let prefix = text.hasPrefix("https://") ? 8 : text.hasPrefix("http://") ? 7 : 0
        guard prefix > 0 else { return false }
        var index = prefix
        func isHostByte(_ byte: UInt8) -> Bool {
            (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 46 || byte == 45
        }
        while index < bytes.count, isHostByte(bytes[index]) { index += 1 }
        guard index > prefix else { return false }
        if index < bytes.count, bytes[index] == 58 {
            let start = index + 1
            index = start
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 { index += 1 }
            guard (1...5).contains(index - start) else { return false }
        }
        guard index < bytes.count else { return true }
        return bytes[index] == 47 && bytes[index...].allSatisfy { $0 >= 33 && $0 <= 126 }
    }
}
