import TributeCore

extension TributeClient {
    /// Prices, checks and debits one agent action in one step (SPEC §2).
    ///
    /// A denial (`success == false`, with its `reason`) is returned, not thrown: it is a
    /// recorded decision like an approval. Retries reuse one idempotency key, so the action is
    /// charged at most once; `replayed` tells that an earlier attempt had been applied.
    /// - Parameters:
    ///   - costMultiplier: exact, above 0 and at most 1000 with at most six decimals; for an
    ///     action priced per call.
    ///   - usage: a token-priced action's tokens (SPEC §3.6), instead of a multiplier.
    ///   - context: recorded with the decision; at most 16 KiB.
    ///   - idempotencyKey: your own key for this call (kept 7 days by the server), to make it
    ///     safe to repeat across restarts of your process; one is made when `nil`.
    /// - Throws: `TributeClientError.server` (`unknownActionType`, `invalidMultiplier`,
    ///   `workspaceNotFound`, `forbidden`, `unauthenticated`, `rateLimited`, ...);
    ///   `.unavailable` when Tribute cannot be reached under `.failClosed` (under `.failOpen`
    ///   a local approval, `recorded == false`, until `maxActions` are used);
    ///   `.invalidResponse`; `CancellationError`.
    public func authorizeAndDebit(workspaceId: String, actionType: String, costMultiplier: Amount = .one, usage: TokenUsage? = nil, userId: String? = nil,
                                  agentId: String? = nil, runId: String? = nil, context: [String: JSON]? = nil,
                                  idempotencyKey: String? = nil) async throws -> Decision {
        let call = ActionCall(workspaceId: workspaceId, actionType: actionType, costMultiplier: costMultiplier, usage: usage, userId: userId,
                              agentId: agentId, runId: runId, context: context)
        let key = try Self.idempotencyKey(idempotencyKey)
        do {
            return try await send(call, idempotencyKey: key)
        } catch TributeClientError.unavailable(let attempts, let lastFailure) {
            guard allowLocally(call.unrecorded(.authorizeAndDebit, idempotencyKey: key, lastFailure: lastFailure)) else {
                throw TributeClientError.unavailable(attempts: attempts, lastFailure: lastFailure)
            }
            return .local
        }
    }

    /// Reports a call allowed locally under `.failOpen` to Tribute, as an authorize-and-debit
    /// of its action, never allowed locally again. An `.authorizeAndDebit` keeps its own
    /// idempotency key, so a call the server had applied after all (its answer was lost) is
    /// replayed, not charged twice; a `.hold` is charged at its estimate under a key derived
    /// from its own (a hold the server did make expires by itself).
    /// - Returns: the decision, which may be a denial: the action already ran.
    /// - Throws: as `authorizeAndDebit`, with `.unavailable` whatever the outage policy.
    public func report(_ action: UnrecordedAction) async throws -> Decision {
        let call = ActionCall(workspaceId: action.workspaceId, actionType: action.actionType, costMultiplier: action.costMultiplier, usage: action.usage,
                              userId: action.userId, agentId: action.agentId, runId: action.runId, context: action.context)
        // A hold's report must not reuse the hold's key (another route's request with the
        // same key is refused): a key derived from it, the same on every report of it.
        let key = action.kind == .authorizeAndDebit ? try Self.idempotencyKey(action.idempotencyKey) : "report:" + Hex.sha256(action.idempotencyKey)
        return try await send(call, idempotencyKey: key)
    }

    func send(_ call: ActionCall, idempotencyKey: String) async throws -> Decision {
        let request = WireRequest(method: .POST, path: "/v1/agent-actions/authorize-and-debit", body: call.body(), idempotencyKey: idempotencyKey)
        let answer = try await exchange.perform(request)
        return try Decision(AnswerFields(answer.json, what: "decision", status: answer.status), replayed: answer.replayed)
    }

    /// Under `.failOpen`, keeps `action` if a local allowance is left and tells the callback.
    func allowLocally(_ action: UnrecordedAction) -> Bool {
        guard case .failOpen(let maxActions, let onUnrecorded) = configuration.outagePolicy,
              allowances.admit(action, maxActions: max(0, maxActions)) else { return false }
        onUnrecorded(action)
        return true
    }
}
