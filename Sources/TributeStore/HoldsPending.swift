import TributeCore

// TEMPORARY while the stores gain holds: removed before the work is committed.
extension TributeStore {
    public func hold(_ request: HoldRequest, idempotency: IdempotencyClaim?) async throws -> AuthorizeOutcome { throw TributeError.holdNotFound("") }
    public func commitHold(_ commit: HoldCommit, canAccess: @escaping @Sendable (String) -> Bool, idempotency: IdempotencyClaim?) async throws -> AuthorizeOutcome { throw TributeError.holdNotFound("") }
    public func releaseHold(id: String, canAccess: @escaping @Sendable (String) -> Bool, idempotency: IdempotencyClaim?) async throws -> AuthorizeOutcome { throw TributeError.holdNotFound("") }
    public func extendHold(id: String, ttlSeconds: Int64, canAccess: @escaping @Sendable (String) -> Bool) async throws -> HoldRecord { throw TributeError.holdNotFound("") }
    public func hold(id: String, canAccess: @escaping @Sendable (String) -> Bool) async throws -> HoldRecord { throw TributeError.holdNotFound("") }
    public func holds(workspaceId: String, status: HoldRecord.Status?, limit: Int, cursor: String?) async throws -> Page<HoldRecord> { throw TributeError.holdNotFound("") }
    public func expireHolds(limit: Int) async throws -> Int { 0 }
}
