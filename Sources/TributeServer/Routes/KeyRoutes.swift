import Hummingbird
import TributeCore
import TributeStore

/// API keys: created, listed, renamed or limited, and revoked by admins only.
struct KeyRoutes<Store: TributeStore>: Sendable {
    let store: Store
    let auth: Auth<Store>
    /// The cap on live keys (`TRIBUTE_MAX_API_KEYS`).
    let limits: CollectionLimits

    var endpoints: RouteCollection<TributeContext> {
        let routes = RouteCollection(context: TributeContext.self)
        routes.group().add(middleware: auth.requireKey(.admin))
            .post("/v1/api-keys", use: create)
            .get("/v1/api-keys", use: list)
            .patch("/v1/api-keys/{keyId}", use: update)
            .delete("/v1/api-keys/{keyId}", use: revoke)
        return routes
    }

    /// A new key; its secret is in this answer only.
    @Sendable func create(_ request: Request, _ context: TributeContext) async throws -> Response {
        var fields = try await API.fields(request)
        let role = try fields.requiredChoice("role", Role.self)
        let workspaceIds = try fields.identifiers("workspaceIds", maxCount: 100) ?? []
        let name = try fields.string("name")
        let rateLimit = try fields.rateLimit("rateLimit")
        try fields.rejectUnknown()
        if let problem = KeyInput.scopeProblem(role: role, workspaceIds: workspaceIds) { throw APIError.invalid(problem) }
        let (view, secret) = try await store.createAPIKey(role: role, workspaceIds: workspaceIds, name: name, rateLimit: rateLimit?.ownLimit,
                                                     maxKeys: limits.apiKeys)
        var body = view.fields
        body["key"] = .string(secret)
        return API.json(.object(body), status: .created)
    }

    @Sendable func list(_ request: Request, _ context: TributeContext) async throws -> Response {
        API.json(API.list(try await store.apiKeys()))
    }

    /// Renames a key, changes its rate limit (`"default"` drops its own limit), or freezes or
    /// thaws it (`status`). The key's next call, on this instance, is measured by the new
    /// limit, and a frozen key is refused at once here and within 2 s on every instance
    /// (`PrincipalCache.ttlMillis`).
    @Sendable func update(_ request: Request, _ context: TributeContext) async throws -> Response {
        let keyId = try Self.keyId(context)
        var fields = try await API.fields(request)
        let patch = APIKeyPatch(name: try fields.string("name"), rateLimit: try fields.rateLimit("rateLimit"), status: try fields.choice("status", APIKeyStatus.self))
        try fields.rejectUnknown()
        // Freezing the key in hand would lock its holder out of thawing it; use another.
        if patch.status == .frozen, keyId == (try context.requirePrincipal()).keyId {
            throw APIError.invalid("A key cannot freeze itself; use another admin key")
        }
        return API.json(try await store.updateAPIKey(id: keyId, patch: patch).json)
    }

    @Sendable func revoke(_ request: Request, _ context: TributeContext) async throws -> Response {
        let keyId = try Self.keyId(context)
        let principal = try context.requirePrincipal()
        // Revoking the key in hand would lock its holder out mid-request; use another.
        guard keyId != principal.keyId else { throw APIError.invalid("A key cannot revoke itself; use another admin key") }
        try await store.revokeAPIKey(id: keyId)
        return Response(status: .noContent)
    }

    /// The key id of the path; one that is no identifier names no key.
    static func keyId(_ context: TributeContext) throws -> String {
        let keyId = try API.parameter(context, "keyId")
        guard Fields.isIdentifier(keyId) else { throw APIError(.apiKeyNotFound(keyId)) }
        return keyId
    }
}
