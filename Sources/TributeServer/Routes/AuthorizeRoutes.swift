import Hummingbird
import TributeCore
import TributeStore

/// The core call (SPEC §2): price, check and debit one agent action.
struct AuthorizeRoutes<Store: TributeStore>: Sendable {
    let store: Store
    let auth: Auth<Store>
    let metrics: TributeMetrics

    var endpoints: RouteCollection<TributeContext> {
        let routes = RouteCollection(context: TributeContext.self)
        // The role is checked before the body is read: a key that may not debit never
        // reaches the parser. The workspace is in the body, so the handler checks it.
        routes.group().add(middleware: auth.requireKey(.adminOrService))
            .post("/v1/agent-actions/authorize-and-debit", use: authorizeAndDebit)
        return routes
    }

    /// One atomic, durable decision; replays under the same `Idempotency-Key`.
    @Sendable func authorizeAndDebit(_ request: Request, _ context: TributeContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        var fields = try await API.fields(request)
        var authorizeRequest = try CallInput.request(from: &fields)
        try fields.rejectUnknown()
        // The key's own budget applies (`key:<keyId>`, SPEC §3.7).
        authorizeRequest.keyId = principal.keyId
        try principal.checkAccess(toWorkspace: authorizeRequest.workspaceId)
        let claim = try IdempotencyHeader.claim(request, scope: "authorize-and-debit", canonical: .object(CallInput.canonical(authorizeRequest)))
        let outcome = try await store.authorize(authorizeRequest, idempotency: claim)
        metrics.recordDecision(outcome)
        return API.text(outcome.body, headers: IdempotencyHeader.headers(replayed: outcome.replayed))
    }
}
