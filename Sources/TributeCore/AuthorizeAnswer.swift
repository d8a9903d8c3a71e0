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
    /// On a denial for want of credits while auto top-up is pending or blocked (SPEC §3.8).
    public var autoTopup: AutoTopup.Notice?

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
    public var json: String { json(adding: []) }

    /// The body with more fields (a hold's `holdId`, `expiresAt`, …), merged in key order.
    /// - Parameter extra: keys and their values as JSON text, sorted by key; no key of the
    ///   answer's own.
    public func json(adding extra: [(key: String, value: String)]) -> String {
        var output = "{"
        output.reserveCapacity(400 + 64 * extra.count)
        var next = extra.startIndex
        var first = true
        func field(_ key: String, _ write: (inout String) -> Void) {
            while next < extra.endIndex && extra[next].key < key {
                if !first { output += "," }
                first = false
                JSON.writeString(extra[next].key, to: &output)
                output += ":"
                output += extra[next].value
                next += 1
            }
            if !first { output += "," }
            first = false
            output += "\""
            output += key
            output += "\":"
            write(&output)
        }
        field("actionsCharged") { $0 += outcome.actionsCharged.description }
        if let autoTopup { field("autoTopup") { $0 += autoTopup.json } }
        if let scope = outcome.budgetScope { field("budgetScope") { JSON.writeString(scope.description, to: &$0) } }
        field("costVersion") { $0 += String(costVersion) }
        field("debitAmount") { $0 += outcome.creditsDebited.description }
        field("decisionId") { JSON.writeString(decisionId, to: &$0) }
        field("fromAllowance") { $0 += outcome.fromAllowance.description }
        field("message") { JSON.writeString(outcome.reason.message, to: &$0) }
        field("reason") { JSON.writeString(outcome.reason.rawValue, to: &$0) }
        field("remainingAllowance") { $0 += remainingAllowance.description }
        field("remainingBalance") { $0 += remainingBalance.description }
        field("success") { $0 += outcome.approved ? "true" : "false" }
        if let transactionId { field("transactionId") { JSON.writeString(transactionId, to: &$0) } }
        while next < extra.endIndex {
            output += ","
            JSON.writeString(extra[next].key, to: &output)
            output += ":"
            output += extra[next].value
            next += 1
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
        if let scope = outcome.budgetScope { body["budgetScope"] = .string(scope.description) }
        if let autoTopup {
            var notice: [String: JSON] = ["state": .string(autoTopup.state.rawValue)]
            if let reason = autoTopup.reason { notice["reason"] = .string(reason) }
            body["autoTopup"] = .object(notice)
        }
        return .object(body)
    }
}
