import Hummingbird
import TributeCore
import TributeStore

/// Who is calling and what its key allows: the one place where a request's key is found,
/// its rate limit taken and its role checked, for the API's bearer keys and the dashboard's
/// sessions alike. Routes use it through `RequireCaller`, which also checks the path's
/// workspace (`Principal.checkAccess`).
struct Auth<Store: TributeStore>: Sendable {
    let store: Store
    let rateLimiter: RateLimiter
    /// Requests without a valid key, per client address (`TRIBUTE_UNAUTHENTICATED_RATE_LIMIT`,
    /// see `refusal(unauthenticatedFrom:)`); `nil` leaves them unlimited.
    var unauthenticated: AddressRateLimiter? = nil

    /// How a request names the key it acts with.
    enum Credential: Sendable {
        /// `Authorization: Bearer <key>`: the API.
        case bearerKey
        /// The `tribute_session` cookie of a dashboard sign-in (`DashboardSession`).
        case dashboardSession

        /// The secret the request carries, unchecked; `nil` when it carries none.
        func secret(in request: Request) -> String? {
            switch self {
            case .bearerKey: Auth.bearerSecret(request)
            case .dashboardSession: DashboardSession.secret(request)
            }
        }

        /// The key `secret` acts for, read live: a revoked key or an ended session is `nil`.
        func principal(secret: String, store: Store) async throws -> Principal? {
            switch self {
            case .bearerKey: try await store.principal(secret: secret)
            case .dashboardSession: try await store.dashboardPrincipal(sessionSecret: secret)
            }
        }
    }

    /// The caller, if its key is valid, within its rate limit, and has one of `roles`.
    /// The rate limit is taken first, before the role, the body or any write: a refused
    /// call costs the server nothing more. An API request without a valid key takes from
    /// its client `address`'s bucket instead (`refusal(unauthenticatedFrom:by:)`).
    /// - Throws: 401 without a valid key (429 past the address's limit of those), 429 past
    ///   the key's rate limit, 403 when the role may not use the route.
    ///
    /// `address` is read only for a request that fails: a valid key's never costs it.
    func admit(_ request: Request, by credential: Credential, roles: Set<Role>, from address: @autoclosure () -> ClientAddress) async throws -> Principal {
        guard let secret = credential.secret(in: request),
              let principal = try await credential.principal(secret: secret, store: store) else { throw refusal(unauthenticatedFrom: address(), by: credential) }
        try takeTurn(principal)
        guard roles.contains(principal.role) else {
            throw APIError.forbidden("A \(principal.role.rawValue) key may not do this")
        }
        return principal
    }

    /// What every use of a key passes first, an API call and a dashboard sign-in alike: it is
    /// not frozen (refused before its rate limit, its role or its body: a frozen key costs
    /// nothing), and it is within its rate limit.
    /// - Throws: 403 `key_frozen`, 429.
    func takeTurn(_ principal: Principal) throws {
        guard !principal.frozen else { throw APIError.keyFrozen }
        try rateLimiter.take(principal)
    }

    /// The check a live stream repeats while it runs: whether the request's key (or session)
    /// still holds one of `roles` and may act on `workspaceId`. A revoked key, an ended
    /// session or a narrowed key ends the stream. It takes no rate-limit token: opening the
    /// stream took one, and a stream's checks are not calls.
    func stillAdmits(_ request: Request, by credential: Credential, roles: Set<Role>, workspaceId: String) -> @Sendable () async -> Bool {
        // Only the secret is kept, not the request.
        let secret = credential.secret(in: request)
        return { [store] in
            guard let secret, let principal = try? await credential.principal(secret: secret, store: store) else { return false }
            return !principal.frozen && roles.contains(principal.role) && principal.canAccess(workspaceId: workspaceId)
        }
    }

    /// The key of an `Authorization: Bearer <key>` header of at most 512 bytes.
    static func bearerSecret(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.utf8.count <= 512 else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else { return nil }
        return String(parts[1])
    }
}

extension Auth {
    /// Routes the API's bearer keys with one of `roles` may call; with `workspaceFrom`, only
    /// on the workspace that path parameter names.
    func requireKey(_ roles: Set<Role>, workspaceFrom parameter: String? = nil) -> RequireCaller<Store> {
        RequireCaller(auth: self, credential: .bearerKey, roles: roles, workspaceParameter: parameter)
    }

    /// Dashboard routes a signed-in key with one of `roles` may open; with `workspaceFrom`,
    /// only on the workspace that path parameter names.
    func requireSession(_ roles: Set<Role>, workspaceFrom parameter: String? = nil) -> RequireCaller<Store> {
        RequireCaller(auth: self, credential: .dashboardSession, roles: roles, workspaceParameter: parameter)
    }
}

extension Set where Element == Role {
    static let admin: Set<Role> = [.admin]
    static let adminOrService: Set<Role> = [.admin, .service]
    static let anyRole: Set<Role> = [.admin, .service, .viewer]
}
