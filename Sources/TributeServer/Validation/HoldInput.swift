import TributeCore

/// The bodies of the hold routes (SPEC §3.1), validated, with what an idempotency key's
/// hash covers for each.
enum HoldInput {
    /// `ttlSeconds`: a whole number of seconds from 1 to 24 hours.
    static var ttlRange: ClosedRange<Int64> { 1...HoldRecord.maxTTLSeconds }

    /// `POST /v1/holds`: the call's fields (`CallInput`) and `ttlSeconds` (default 300).
    /// - Throws: as `CallInput.request`; 400 for a mistyped `ttlSeconds` or an unknown
    ///   field, 422 `invalid_value` for a `ttlSeconds` out of range.
    static func create(_ fields: inout Fields) throws -> HoldRequest {
        let call = try CallInput.request(from: &fields)
        let ttlSeconds = try fields.integer("ttlSeconds", in: ttlRange) ?? HoldRecord.defaultTTLSeconds
        try fields.rejectUnknown()
        return HoldRequest(call, ttlSeconds: ttlSeconds)
    }

    /// `POST /v1/holds/{id}/commit`: one of `actualActions`, `actualCostMultiplier` and
    /// `actualUsage` (none: everything still held), and `final` (default `true`).
    /// - Throws: 400 for a mistyped or unknown field; 422 `invalid_value` for more than one
    ///   actual field or actions out of range, `invalid_multiplier` for a multiplier out of
    ///   range, `invalid_usage` for usage that is not token counts.
    static func commit(_ fields: inout Fields, holdId: String) throws -> HoldCommit {
        let actions = try fields.amount("actualActions", in: Amount.zero...Amount.max)
        // 0 is a multiplier here: the work turned out to cost nothing.
        let multiplier = try CallInput.multiplier(&fields, "actualCostMultiplier", in: Amount.zero...Amount(units: 1000))
        let usage = try CallInput.usage(&fields, "actualUsage")
        let final = try fields.bool("final") ?? true
        try fields.rejectUnknown()
        let given: [HoldActual] = [actions.map(HoldActual.actions), multiplier.map(HoldActual.costMultiplier), usage.map(HoldActual.usage)].compactMap { $0 }
        guard given.count <= 1 else { throw APIError.invalid("Give one of actualActions, actualCostMultiplier and actualUsage, not more") }
        return HoldCommit(holdId: holdId, actual: given.first, final: final)
    }

    /// `POST /v1/holds/{id}/extend`: `ttlSeconds`, required.
    /// - Throws: 400 when missing, mistyped or with an unknown field; 422 `invalid_value` out of range.
    static func extend(_ fields: inout Fields) throws -> Int64 {
        let ttlSeconds = try fields.requiredInteger("ttlSeconds", in: ttlRange)
        try fields.rejectUnknown()
        return ttlSeconds
    }

    /// What the key of `POST /v1/holds` claims.
    static func canonical(_ request: HoldRequest) -> JSON {
        var fields = CallInput.canonical(request.call)
        fields["ttlSeconds"] = .int(request.ttlSeconds)
        return .object(fields)
    }

    /// What the key of a commit claims (the hold's id is in the claim's scope).
    static func canonical(_ commit: HoldCommit) -> JSON {
        var fields: [String: JSON] = ["final": .bool(commit.final)]
        switch commit.actual {
        case .actions(let actions): fields["actualActions"] = .amount(actions)
        case .costMultiplier(let multiplier): fields["actualCostMultiplier"] = .amount(multiplier)
        case .usage(let usage): fields["actualUsage"] = usage.json
        case nil: break
        }
        return .object(fields)
    }
}
