import TributeCore

/// The fields of a priced call, the same for `POST /v1/agent-actions/authorize-and-debit`
/// and `POST /v1/holds` (SPEC §3.1: a hold's estimate is priced and checked exactly like a
/// call), so that each rule is written once.
enum CallInput {
    /// The `context` object of a decision, serialized.
    static var maxContextBytes: Int { 16 * 1024 }

    /// The call's fields out of `fields`; the caller checks the rest and unknown fields.
    /// - Throws: 400 for a missing or mistyped field, 422 `invalid_multiplier` for a
    ///   multiplier outside (0, 1000] or with more than six decimals, 422 `invalid_usage` for
    ///   a `usage` that is not token counts, 422 `invalid_value` for other values out of range.
    static func request(from fields: inout Fields) throws -> AuthorizeRequest {
        guard let workspaceId = try fields.callId("workspaceId", maxLength: 128) else { throw APIError.malformed("workspaceId is required") }
        let actionType = try fields.requiredString("actionType", maxLength: 128)
        let userId = try fields.callId("userId")
        let agentId = try fields.callId("agentId")
        let runId = try fields.callId("runId")
        let multiplier = try Self.multiplier(&fields, "costMultiplier", in: Amount(micros: 1)...Amount(units: 1000))
        let usage = try Self.usage(&fields, "usage")
        let context = try fields.object("context", maxBytes: maxContextBytes)
        return AuthorizeRequest(
            workspaceId: workspaceId, actionType: actionType, userId: userId, agentId: agentId, runId: runId,
            costMultiplier: multiplier, usage: usage, context: context)
    }

    /// Token counts (SPEC §3.6): an object of `TokenKind` names, each a whole number from 0
    /// to 10⁹ (a kind left out is 0).
    /// - Throws: 422 `invalid_usage` for anything else: not an object, an unknown kind, a
    ///   count that is not a whole number in range.
    static func usage(_ fields: inout Fields, _ name: String) throws -> TokenUsage? {
        guard let value = try fields.json(name) else { return nil }
        let kinds = TokenKind.allCases.map(\.rawValue).joined(separator: ", ")
        guard case .object(let members) = value else {
            throw APIError(.invalidUsage("\(name) must be an object of token counts (\(kinds)), not \(value.typeName)"))
        }
        var counts = PerTokenKind<Int64>(inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0, reasoningTokens: 0)
        for (key, count) in members.sorted(by: { $0.key < $1.key }) {
            guard let kind = TokenKind(rawValue: key) else {
                throw APIError(.invalidUsage("\(name) has no kind \"\(key.prefix(64))\"; the kinds are \(kinds)"))
            }
            guard case .number(let literal) = count, let tokens = try? FieldText.wholeNumber(literal, name: key, in: 0...TokenUsage.maxTokens) else {
                throw APIError(.invalidUsage("\(name).\(key) must be a whole number from 0 to \(TokenUsage.maxTokens)"))
            }
            counts[kind] = tokens
        }
        guard let usage = TokenUsage(counts) else { throw APIError(.invalidUsage("\(name) has a count out of range")) }
        return usage
    }


    /// A cost multiplier in `range`, the core call's rule.
    /// - Throws: 400 when mistyped, 422 `invalid_multiplier` out of range or past six decimals.
    static func multiplier(_ fields: inout Fields, _ name: String, in range: ClosedRange<Amount>) throws -> Amount? {
        do {
            return try fields.amount(name, in: range)
        } catch let error as APIError where error.status == .unprocessableContent {
            let bounds = range.lowerBound.isZero ? "from 0 to \(range.upperBound)" : "greater than 0 and at most \(range.upperBound)"
            throw APIError(.invalidMultiplier("\(name) must be a finite number \(bounds), with at most six decimals"))
        }
    }

    /// The call's fields with keys in a fixed order: what an idempotency key's hash covers,
    /// so that the same request formatted differently is the same request.
    static func canonical(_ request: AuthorizeRequest) -> [String: JSON] {
        var fields: [String: JSON] = [
            "workspaceId": .string(request.workspaceId), "actionType": .string(request.actionType),
            "userId": .optional(request.userId), "agentId": .optional(request.agentId), "runId": .optional(request.runId),
            "costMultiplier": .amount(request.costMultiplier ?? .one), "context": .optional(request.context),
        ]
        // A call without `usage` claims exactly what it claimed before token prices (a
        // multiplier not given is 1), so that keys stored then still match their retries.
        if let usage = request.usage {
            fields["usage"] = usage.json
            fields["costMultiplier"] = request.costMultiplier.map { .amount($0) } ?? .null
        }
        return fields
    }
}
