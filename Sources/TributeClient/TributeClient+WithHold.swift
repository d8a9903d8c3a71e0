import TributeCore

extension TributeClient {
    /// Holds the estimate, runs `body`, and commits the actual cost `body` returns — or
    /// releases the hold when `body` throws or the task is cancelled.
    ///
    /// - A denied hold throws `TributeClientError.denied(reason:decision:)`; `body` does not run.
    /// - `body` returns the actual cost (at most the estimate): it is committed with
    ///   `final: true`, even when the task was cancelled meanwhile, because the work was done.
    /// - When `body` throws (a `CancellationError` included), the hold is released, then the
    ///   error is rethrown. The release is sent from a task of its own, so cancellation does
    ///   not stop it; if it fails too, the hold expires by itself at `expiresAt`.
    /// - When the task is cancelled while the hold is being made, the hold call is replayed
    ///   under the same idempotency key from a task of its own, and any hold it made is
    ///   released, before `CancellationError` is thrown.
    /// - Under `.failOpen`, a hold allowed locally runs `body` and answers a local commit
    ///   (`recorded == false`); the unrecorded action carries the estimate.
    ///
    /// Pass `ttlSeconds` longer than `body` can take, or extend the hold from `body`
    /// (`extend(holdId:ttlSeconds:)` with `hold.holdId`): a commit after `expiresAt` throws
    /// `holdExpired`.
    /// - Returns: the commit: what was charged.
    /// - Throws: `.denied`, what `hold(...)` and `commit(...)` throw, and what `body` throws.
    public func withHold(workspaceId: String, actionType: String, costMultiplier: Amount = .one, usage: TokenUsage? = nil, ttlSeconds: Int? = nil,
                         userId: String? = nil, agentId: String? = nil, runId: String? = nil, context: [String: JSON]? = nil, idempotencyKey: String? = nil,
                         body: (Hold) async throws -> ActualCost) async throws -> Commit {
        try Task.checkCancellation()
        let call = ActionCall(workspaceId: workspaceId, actionType: actionType, costMultiplier: costMultiplier, usage: usage, userId: userId,
                              agentId: agentId, runId: runId, context: context)
        let key = try Self.idempotencyKey(idempotencyKey)
        let hold: Hold
        do {
            hold = try await self.hold(workspaceId: workspaceId, actionType: actionType, costMultiplier: costMultiplier, usage: usage, ttlSeconds: ttlSeconds,
                                       userId: userId, agentId: agentId, runId: runId, context: context, idempotencyKey: key)
        } catch is CancellationError {
            await unstructured { try await self.releaseIfMade(call, ttlSeconds: ttlSeconds, idempotencyKey: key) }
            throw CancellationError()
        }
        guard hold.success else { throw TributeClientError.denied(reason: hold.reason, decision: hold.decision) }
        guard hold.recorded, let holdId = hold.holdId else {
            _ = try await body(hold)
            return .local
        }
        let actual: ActualCost
        do {
            actual = try await body(hold)
        } catch {
            await unstructured { try await self.release(holdId: holdId) }
            throw error
        }
        return try await unstructuredResult { try await self.commit(holdId: holdId, actual: actual, final: true) }
    }

    /// Replays an interrupted hold call (the server answers what it did, or makes the hold
    /// now) and releases the hold it made, if any.
    private func releaseIfMade(_ call: ActionCall, ttlSeconds: Int?, idempotencyKey: String) async throws {
        let hold = try await sendHold(call, ttlSeconds: ttlSeconds, idempotencyKey: idempotencyKey)
        if let holdId = hold.holdId { try await release(holdId: holdId) }
    }

    /// Runs `operation` in a task of its own, which the caller's cancellation does not reach,
    /// and waits for it; a failure is dropped (the hold expires by itself).
    private func unstructured(_ operation: @escaping @Sendable () async throws -> Void) async {
        _ = try? await Task.detached(operation: operation).value
    }

    /// Runs `operation` in a task of its own, which the caller's cancellation does not reach,
    /// and answers its result.
    private func unstructuredResult<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await Task.detached(operation: operation).value
    }
}
