import Hummingbird
import TributeCore

extension API {
    func registerKeys(_ routes: inout RouteTable) {
        routes.on("/v1/api-keys", .post) { request, _ in
            _ = try await auth.require(request, .admin)
            var fields = try await API.fields(request)
            let role = try fields.choice("role", Role.self) ?? { throw APIError.malformed("role is required") }()
            let workspaceIds = try fields.identifiers("workspaceIds", maxCount: 100) ?? []
            let name = try fields.string("name")
            let rateLimit = try fields.rateLimit("rateLimit")
            try fields.rejectUnknown()
            if let problem = API.keyScopeProblem(role: role, workspaceIds: workspaceIds) { throw APIError.invalid(problem) }
            let (view, secret) = try await store.createAPIKey(role: role, workspaceIds: workspaceIds, name: name, rateLimit: rateLimit?.ownLimit)
            guard case .object(var body) = view.json else { fatalError("an API key view is an object") }
            body["key"] = .string(secret)
            return API.json(.object(body), status: .created)
        }
        routes.on("/v1/api-keys", .get) { request, _ in
            _ = try await auth.require(request, .admin)
            return API.json(API.list(try await store.apiKeys()))
        }
        routes.on("/v1/api-keys/{keyId}", .patch) { request, context in try await updateKey(request, context) }
        routes.on("/v1/api-keys/{keyId}", .delete) { request, context in
            let principal = try await auth.require(request, .admin)
            let keyId = try API.parameter(context, "keyId")
            guard Fields.isIdentifier(keyId) else { throw APIError(.apiKeyNotFound(keyId)) }
            // Revoking the key in hand would lock its holder out mid-request; use another.
            guard keyId != principal.keyId else { throw APIError.invalid("A key cannot revoke itself; use another admin key") }
            try await store.revokeAPIKey(id: keyId)
            return Response(status: .noContent)
        }
    }

    /// Renames a key or changes its rate limit (`"default"` drops its own limit). The key's
    /// next call, on this instance, is measured by the new limit.
    func updateKey(_ request: Request, _ context: TributeContext) async throws -> Response {
        _ = try await auth.require(request, .admin)
        let keyId = try API.parameter(context, "keyId")
        guard Fields.isIdentifier(keyId) else { throw APIError(.apiKeyNotFound(keyId)) }
        var fields = try await API.fields(request)
        let patch = APIKeyPatch(name: try fields.string("name"), rateLimit: try fields.rateLimit("rateLimit"))
        try fields.rejectUnknown()
        return API.json(try await store.updateAPIKey(id: keyId, patch: patch).json)
    }

    /// Why a key of `role` may not name `workspaceIds`, or `nil` when it may.
    static func keyScopeProblem(role: Role, workspaceIds: [String]) -> String? {
        if role == .viewer && workspaceIds.isEmpty { return "A viewer key must name its workspaces" }
        if role == .admin && !workspaceIds.isEmpty { return "An admin key acts on every workspace; name none" }
        return nil
    }
}
