import Hummingbird
import TributeCore
import TributeStore

/// Checks the bearer key of a request and what its role and workspaces allow.
struct Auth<Store: TributeStore>: Sendable {
    let store: Store
    let rateLimiter: RateLimiter

    /// The caller, if its key is valid, within its rate limit, and has one of `roles`.
    /// The rate limit is taken first, before the role, the body or any write: a refused
    /// call costs the server nothing more.
    /// - Throws: 401 without a valid key, 429 past the key's rate limit, 403 when the role
    ///   may not use the route.
    func require(_ request: Request, _ roles: Set<Role>) async throws -> Principal {
        guard let header = request.headers[.authorization], header.utf8.count <= 512 else { throw APIError(.unauthenticated) }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else { throw APIError(.unauthenticated) }
        guard let principal = try await store.principal(secret: String(parts[1])) else { throw APIError(.unauthenticated) }
        try rateLimiter.take(principal)
        guard roles.contains(principal.role) else {
            throw APIError(.forbidden("A \(principal.role.rawValue) key may not do this"))
        }
        return principal
    }

    /// Like `require`, and the key must be allowed on `workspaceId`.
    func require(_ request: Request, _ roles: Set<Role>, workspace workspaceId: String) async throws -> Principal {
        let principal = try await require(request, roles)
        guard principal.canAccess(workspaceId: workspaceId) else {
            throw APIError(.forbidden("This key may not act on workspace \"\(workspaceId)\""))
        }
        return principal
    }
}

extension Set where Element == Role {
    static let admin: Set<Role> = [.admin]
    static let adminOrService: Set<Role> = [.admin, .service]
    static let anyRole: Set<Role> = [.admin, .service, .viewer]
}
