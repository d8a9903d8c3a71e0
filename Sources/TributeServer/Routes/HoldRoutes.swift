import Hummingbird
import TributeCore
import TributeStore

/// Holds (SPEC §3.1): reserve an estimate now, charge the actual cost later, or release it.
/// Admin and service keys make and settle holds; any key allowed on a hold's workspace reads
/// it. A hold of a workspace the key may not touch is `404 hold_not_found`, as if it did not
/// exist: its id tells the caller nothing.
struct HoldRoutes<Store: TributeStore>: Sendable {
    let store: Store
    let auth: Auth<Store>
    /// Counts the decisions of creates and commits; a release decides nothing to count.
    let metrics: TributeMetrics

    var endpoints: RouteCollection<TributeContext> {
        let routes = RouteCollection(context: TributeContext.self)
        // The role is checked before the body is read; the workspace is in the body or
        // behind the hold's id, so the handlers check it.
        routes.group().add(middleware: auth.requireKey(.adminOrService))
            .post("/v1/holds", use: create)
            .post("/v1/holds/{holdId}/commit", use: commit)
            .post("/v1/holds/{holdId}/release", use: release)
            .post("/v1/holds/{holdId}/extend", use: extend)
        routes.group().add(middleware: auth.requireKey(.anyRole))
            .get("/v1/holds/{holdId}", use: get)
        routes.group().add(middleware: auth.requireKey(.anyRole, workspaceFrom: "id"))
            .get("/v1/workspaces/{id}/holds", use: list)
        return routes
    }

    /// Prices and checks the estimate like a call and holds it; replays under the same
    /// `Idempotency-Key`.
    @Sendable func create(_ request: Request, _ context: TributeContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        var fields = try await API.fields(request)
        var hold = try HoldInput.create(&fields)
        try principal.checkAccess(toWorkspace: hold.call.workspaceId)
        hold.call.keyId = principal.keyId
        let claim = try IdempotencyHeader.claim(request, scope: "hold-create", canonical: HoldInput.canonical(hold))
        let outcome = try await store.hold(hold, idempotency: claim)
        metrics.recordDecision(outcome)
        return API.text(outcome.body, headers: IdempotencyHeader.headers(replayed: outcome.replayed))
    }

    /// Charges the actual cost of what is still held; replays under the same `Idempotency-Key`.
    @Sendable func commit(_ request: Request, _ context: TributeContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let holdId = try Self.holdId(context)
        // An empty body commits everything still held, as `{}` does.
        let body = try await API.bytes(request)
        var fields = try Fields(body: body.allSatisfy(Self.isJSONSpace) ? Array("{}".utf8) : body)
        let commit = try HoldInput.commit(&fields, holdId: holdId)
        let claim = try IdempotencyHeader.claim(request, scope: "hold-commit\n" + holdId, canonical: HoldInput.canonical(commit))
        let outcome = try await store.commitHold(commit, canAccess: Self.access(principal), idempotency: claim)
        metrics.recordDecision(outcome)
        return API.text(outcome.body, headers: IdempotencyHeader.headers(replayed: outcome.replayed))
    }

    /// Gives back everything still held. The body is empty or `{}`.
    @Sendable func release(_ request: Request, _ context: TributeContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let holdId = try Self.holdId(context)
        let body = try await API.bytes(request)
        if !body.allSatisfy(Self.isJSONSpace) { try Fields(body: body).rejectUnknown() }
        let claim = try IdempotencyHeader.claim(request, scope: "hold-release\n" + holdId, canonical: .object([:]))
        let outcome = try await store.releaseHold(id: holdId, canAccess: Self.access(principal), idempotency: claim)
        return API.text(outcome.body, headers: IdempotencyHeader.headers(replayed: outcome.replayed))
    }

    /// Moves the hold's expiry `ttlSeconds` from now.
    @Sendable func extend(_ request: Request, _ context: TributeContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let holdId = try Self.holdId(context)
        var fields = try await API.fields(request)
        let ttlSeconds = try HoldInput.extend(&fields)
        return API.json(try await store.extendHold(id: holdId, ttlSeconds: ttlSeconds, canAccess: Self.access(principal)).json)
    }

    @Sendable func get(_ request: Request, _ context: TributeContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        return API.json(try await store.hold(id: try Self.holdId(context), canAccess: Self.access(principal)).json)
    }

    /// `?status=open|committed|released|expired` keeps one status.
    @Sendable func list(_ request: Request, _ context: TributeContext) async throws -> Response {
        let workspaceId = try context.requireWorkspaceId()
        let paging = try API.paging(request)
        let status = try request.uri.queryParameters.get("status").map { try FieldText.choice(String($0), name: "status", HoldRecord.Status.self) }
        return API.page(try await store.holds(workspaceId: workspaceId, status: status, limit: paging.limit, cursor: paging.cursor))
    }

    /// The hold id of the path; one that is no identifier names no hold.
    static func holdId(_ context: TributeContext) throws -> String {
        let id = try API.parameter(context, "holdId")
        guard Fields.isIdentifier(id) else { throw APIError(.holdNotFound(id)) }
        return id
    }

    /// Whether the caller may touch a workspace: what the store asks of a hold's.
    static func access(_ principal: Principal) -> @Sendable (String) -> Bool {
        { workspaceId in principal.canAccess(workspaceId: workspaceId) }
    }

    /// The bytes JSON counts as white space: a body of only these is an empty body.
    static func isJSONSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
}
