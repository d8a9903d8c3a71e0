/// The answer of one authorize call (SPEC §2), before it is written as JSON.
///
/// The writer decides and records; encoding the body is left to the caller's task, off the
/// writer's thread, except when an idempotency key needs the exact text stored with it.
///
/// Its JSON encoding lives here in TributeCore, not with the API's other bodies in
/// TributeServer's `Wire/`, because it is also a stored encoding: both stores write `json`
/// into the idempotency table and replay that text byte for byte when the key comes back,
/// so the stores, which cannot see TributeServer, must be able to produce it.
public struct AuthorizeAnswer: Sendable, Equatable {
    public var outcome: PricingOutcome
    public var remainingBalance: Amount
    public var remainingAllowance: Amount
    public var decisionId: String
    public var costVersion: Int64
    /// `nil` when nothing moved (a denial, or a free action).
    public var transactionId: String?

    public init(outcome: PricingOutcome, remainingBalance: Amount, remainingAllowance: Amount, decisionId: String, costVersion: Int64, transactionId: String?) {
        self.outcome = outcome
        self.remainingBalance = remainingBalance
        self.remainingAllowance = remainingAllowance
        self.decisionId = decisionId
        self.costVersion = costVersion
        self.transactionId = transactionId
    }

    /// The response body; the same answer always gives the same bytes. Written field by
    /// field in sorted key order, exactly as `JSON.serialized` writes `jsonValue`, without
    /// building and sorting a dictionary on every call.
    public var json: String {
        var output = "{\"actionsCharged\":"
        output.reserveCapacity(400)
        output += outcome.actionsCharged.description
        output += ",\"costVersion\":"
        output += String(costVersion)
        output += ",\"debitAmount\":"
        output += outcome.creditsDebited.description
        output += ",\"decisionId\":"
        JSON.writeString(decisionId, to: &output)
        output += ",\"fromAllowance\":"
        output += outcome.fromAllowance.description
        output += ",\"message\":"
        JSON.writeString(outcome.reason.message, to: &output)
        output += ",\"reason\":"
        JSON.writeString(outcome.reason.rawValue, to: &output)
        output += ",\"remainingAllowance\":"
        output += remainingAllowance.description
        output += ",\"remainingBalance\":"
        output += remainingBalance.description
        output += outcome.approved ? ",\"success\":true" : ",\"success\":false"
        if let transactionId {
            output += ",\"transactionId\":"
            JSON.writeString(transactionId, to: &output)
        }
        output += "}"
        return output
    }

    /// The same body as a `JSON` value.
    public var jsonValue: JSON {
        var body: [String: JSON] = [
            "success": .bool(outcome.approved), "reason": .string(outcome.reason.rawValue), "message": .string(outcome.reason.message),
            "debitAmount": .amount(outcome.creditsDebited), "actionsCharged": .amount(outcome.actionsCharged),
            "fromAllowance": .amount(outcome.fromAllowance), "remainingBalance": .amount(remainingBalance),
            "remainingAllowance": .amount(remainingAllowance), "decisionId": .string(decisionId), "costVersion": .int(costVersion),
        ]
        if let transactionId { body["transactionId"] = .string(transactionId) }
        return .object(body)
    }
}
