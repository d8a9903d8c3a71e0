import TributeCore

extension TributeClient {
    /// Reserves an action's estimated cost now, to charge the actual cost later (SPEC §3.1):
    /// priced and checked like `authorizeAndDebit`, and held out of reach of every other call
    /// until committed, released or expired.
    ///
    /// A denied hold is returned (`success == false`, no `holdId`), not thrown. Under
    /// `.failOpen`, a hold Tribute could not be asked about is allowed locally like a debit
    /// (`recorded == false`, no `holdId`), recorded at its estimate.
    /// - Parameters:
    ///   - usage: a token-priced action's estimated tokens: the prompt's, and `max_tokens`
    ///     as output.
    ///   - ttlSeconds: 1 to 86,400; the server's default (300) when `nil`.
    /// - Throws: as `authorizeAndDebit`.
    public func hold(workspaceId: String, actionType: String, costMultiplier: Amount = .one, usage: TokenUsage? = nil, ttlSeconds: Int? = nil,
                     userId: String? = nil, agentId: String? = nil, runId: String? = nil, context: [String: JSON]? = nil,
                     idempotencyKey: String? = nil) async throws -> Hold {
        let call = ActionCall(workspaceId: workspaceId, actionType: actionType, costMultiplier: costMultiplier, usage: usage, userId: userId,
                              agentId: agentId, runId: runId, context: context)
        let key = try Self.idempotencyKey(idempotencyKey)
        do {
            return try await sendHold(call, ttlSeconds: ttlSeconds, idempotencyKey: key)
        } catch TributeClientError.unavailable(let attempts, let lastFailure) {
            guard allowLocally(call.unrecorded(.hold, idempotencyKey: key, lastFailure: lastFailure)) else {
                throw TributeClientError.unavailable(attempts: attempts, lastFailure: lastFailure)
            }
            return Hold(decision: .local, holdId: nil, expiresAt: nil)
        }
    }

    func sendHold(_ call: ActionCall, ttlSeconds: Int?, idempotencyKey: String) async throws -> Hold {
        let extra: [String: JSON] = ttlSeconds.map { ["ttlSeconds": .number(String($0))] } ?? [:]
        let request = WireRequest(method: .POST, path: "/v1/holds", body: call.body(adding: extra), idempotencyKey: idempotencyKey)
        let answer = try await exchange.perform(request)
        return try Hold(AnswerFields(answer.json, what: "hold", status: answer.status), replayed: answer.replayed)
    }

    /// Charges the actual cost of a hold, at most what it still holds; allowance before
    /// credits, as held. `final` (the default) gives the rest back; `final: false` keeps it
    /// held for later commits.
    /// - Throws: `TributeClientError.server` with `exceedsHold` (more than is held),
    ///   `holdExpired` (after `expiresAt`), `holdClosed` (committed or released before),
    ///   `holdNotFound`, `invalidValue` (0 with `final: false`); `.unavailable` whatever the
    ///   outage policy (an uncommitted hold expires by itself).
    public func commit(holdId: String, actual: ActualCost = .everythingHeld, final: Bool = true, idempotencyKey: String? = nil) async throws -> Commit {
        var fields = actual.fields
        fields["final"] = .bool(final)
        let request = WireRequest(method: .POST, path: "/v1/holds/\(Self.segment(holdId))/commit", body: JSON.object(fields).serialized,
                                  idempotencyKey: try Self.idempotencyKey(idempotencyKey))
        let answer = try await exchange.perform(request)
        return try Commit(AnswerFields(answer.json, what: "commit", status: answer.status), replayed: answer.replayed)
    }

    /// `commit(holdId:actual: .actions(actualActions), final:)`.
    public func commit(holdId: String, actualActions: Amount, final: Bool = true, idempotencyKey: String? = nil) async throws -> Commit {
        try await commit(holdId: holdId, actual: .actions(actualActions), final: final, idempotencyKey: idempotencyKey)
    }

    /// `commit(holdId:actual: .costMultiplier(actualCostMultiplier), final:)`.
    public func commit(holdId: String, actualCostMultiplier: Amount, final: Bool = true, idempotencyKey: String? = nil) async throws -> Commit {
        try await commit(holdId: holdId, actual: .costMultiplier(actualCostMultiplier), final: final, idempotencyKey: idempotencyKey)
    }

    /// Gives back everything a hold still holds.
    /// - Returns: the hold as it now stands, with the release's `releaseDecisionId`.
    /// - Throws: `TributeClientError.server` with `holdExpired`, `holdClosed`,
    ///   `holdNotFound`; `.unavailable` whatever the outage policy.
    @discardableResult
    public func release(holdId: String, idempotencyKey: String? = nil) async throws -> HoldState {
        let request = WireRequest(method: .POST, path: "/v1/holds/\(Self.segment(holdId))/release", body: "{}",
                                  idempotencyKey: try Self.idempotencyKey(idempotencyKey))
        let answer = try await exchange.perform(request)
        return try HoldState(AnswerFields(answer.json, what: "hold", status: answer.status), replayed: answer.replayed)
    }

    /// Moves an open hold's expiry to `ttlSeconds` (1 to 86,400) from now. Safe to retry as
    /// it is: each attempt sets the same kind of deadline.
    /// - Throws: `TributeClientError.server` with `holdExpired`, `holdClosed`,
    ///   `holdNotFound`, `invalidValue`; `.unavailable`.
    @discardableResult
    public func extend(holdId: String, ttlSeconds: Int) async throws -> HoldState {
        let body = JSON.object(["ttlSeconds": .number(String(ttlSeconds))]).serialized
        let answer = try await exchange.perform(WireRequest(method: .POST, path: "/v1/holds/\(Self.segment(holdId))/extend", body: body))
        return try HoldState(AnswerFields(answer.json, what: "hold", status: answer.status))
    }

    /// One hold as it now stands; an open hold past its `expiresAt` shows as `.expired`.
    /// - Throws: `TributeClientError.server` with `holdNotFound`; `.unavailable`.
    public func hold(id: String) async throws -> HoldState {
        let answer = try await exchange.perform(WireRequest(method: .GET, path: "/v1/holds/\(Self.segment(id))"))
        return try HoldState(AnswerFields(answer.json, what: "hold", status: answer.status))
    }
}
