import Hummingbird
import TributeCore
import TributeStore

/// The admin console's webhook endpoints: register one (its signing secret is shown once),
/// delete one, and read an endpoint's delivery log. URLs and event types are checked by the
/// API's own rules (`WebhookRoutes`).
extension Dashboard {
    @Sendable func createWebhookEndpoint(_ request: Request, _ context: TributeContext) async throws -> Response {
        try await adminForm(request, context, showsSecret: true) { form in
            guard let url = try form.string("url", maxLength: 2048) else { throw APIError.invalid("url is required") }
            try WebhookRoutes<Store>.checkURL(url, policy: webhookURLs)
            let names = form.all("eventTypes")
            guard names.count <= WebhookRoutes<Store>.deliverableEventTypes.count else { throw APIError.invalid("Too many event types") }
            let eventTypes = try WebhookRoutes<Store>.eventTypes(names)
            let (endpoint, secret) = try await store.createWebhookEndpoint(url: url, eventTypes: eventTypes, description: try form.string("description", maxLength: 500),
                                                                           maxEndpoints: limits.webhookEndpoints)
            // Shown once, in this page only; it is never logged.
            return "Endpoint \(endpoint.id) registered. Its signing secret is \(secret) — copy it now, it will not be shown again."
        }
    }

    @Sendable func deleteWebhookEndpoint(_ request: Request, _ context: TributeContext) async throws -> Response {
        let endpointId = try WebhookRoutes<Store>.endpointId(context)
        return try await adminForm(request, context) { _ in
            try await store.deleteWebhookEndpoint(id: endpointId)
            return "Endpoint \(endpointId) deleted: nothing more is sent to it."
        }
    }

    @Sendable func webhookDeliveries(_ request: Request, _ context: TributeContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let endpointId = try WebhookRoutes<Store>.endpointId(context)
        let cursor = try API.cursor(request)
        guard let endpoint = try await store.webhookEndpoints().first(where: { $0.id == endpointId }) else {
            throw TributeError.webhookEndpointNotFound(endpointId)
        }
        let deliveries = try await store.webhookDeliveries(endpointId: endpointId, limit: 50, cursor: cursor)
        return Dashboard.html(DeliveryLogPage(endpoint: endpoint, deliveries: deliveries).render(principal: principal))
    }
}
