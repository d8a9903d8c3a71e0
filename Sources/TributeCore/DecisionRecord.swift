import Crypto

/// One row of the decision log, approved or denied, as it is hashed into the chain.
public struct DecisionRecord: Sendable, Equatable {
    public var id: String
    public var workspaceId: String
    /// Unix milliseconds.
    public var createdAtMillis: Int64
    public var actionType: String
    public var reason: DecisionReason
    public var actionsCharged: Amount
    public var fromAllowance: Amount
    public var creditsDebited: Amount
    public var userId: String?
    public var agentId: String?
    public var runId: String?
    public var costVersion: Int64
    /// The caller's context object, serialized.
    public var context: String?
    public var transactionId: String?
    /// `ChargeExplanation.encoded`: what the decision was priced at and drew from. `nil`
    /// on decisions recorded before explanations were kept.
    public var explanation: String?

    /// `explanation` read back (with the base cost it leaves out when it equals
    /// `actionsCharged`); `nil` when there is none or it is not a text Tribute writes.
    public var chargeExplanation: ChargeExplanation? {
        explanation.flatMap { ChargeExplanation(decoding: $0, actionsCharged: actionsCharged) }
    }
    /// What the decision records: a call (the default), or a step of a hold.
    public var kind: DecisionKind = .call

    public init(id: String, workspaceId: String, createdAtMillis: Int64, actionType: String, reason: DecisionReason, actionsCharged: Amount, fromAllowance: Amount, creditsDebited: Amount, userId: String?, agentId: String?, runId: String?, costVersion: Int64, context: String?, transactionId: String?, explanation: String? = nil) {
        self.id = id
        self.workspaceId = workspaceId
        self.createdAtMillis = createdAtMillis
        self.actionType = actionType
        self.reason = reason
        self.actionsCharged = actionsCharged
        self.fromAllowance = fromAllowance
        self.creditsDebited = creditsDebited
        self.userId = userId
        self.agentId = agentId
        self.runId = runId
        self.costVersion = costVersion
        self.context = context
        self.transactionId = transactionId
        self.explanation = explanation
    }

    public var success: Bool { reason == .approved }

    /// The chain hash: SHA-256 over the previous hash and every field of the record, each
    /// length-prefixed so that no two different records share an encoding. Editing any
    /// field of any row changes every hash after it. The explanation is hashed only when
    /// present, so decisions recorded before it existed keep their hashes.
    public func chainHash(previous: String) -> String { Hex.encode(chainDigest(previous: previous)) }

    /// The chain hash's 32 bytes, which SQLite stores as they are (`chainHash` is their hex).
    public func chainDigest(previous: String) -> [UInt8] {
        // One buffer hashed once: this runs on the writer's thread for every decision.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256 + (context?.utf8.count ?? 0) + (explanation?.utf8.count ?? 0))
        func field(_ text: String?) {
            guard let text else { bytes.append(0xFF); return }
            let count = UInt32(text.utf8.count)
            for shift in [24, 16, 8, 0] as [UInt32] { bytes.append(UInt8(truncatingIfNeeded: count >> shift)) }
            bytes.append(contentsOf: text.utf8)
        }
        field(previous)
        field(id)
        field(workspaceId)
        field(String(createdAtMillis))
        field(actionType)
        field(reason.rawValue)
        field(String(actionsCharged.micros))
        field(String(fromAllowance.micros))
        field(String(creditsDebited.micros))
        field(userId)
        field(agentId)
        field(runId)
        field(String(costVersion))
        field(context)
        field(transactionId)
        // Appended only when present, so that older decisions keep their hashes; a kind
        // always follows an explanation field, so the two never read as each other.
        if explanation != nil || kind != .call { field(explanation) }
        if kind != .call { field(kind.rawValue) }
        return Array(SHA256.hash(data: bytes))
    }

    /// The hash before the first record.
    public static let genesisHash = String(repeating: "0", count: 64)
}

/// What a decision records.
public enum DecisionKind: String, Sendable, CaseIterable {
    /// An authorize-and-debit call.
    case call
    /// A hold created (its estimate moved into the hold accounts), or refused.
    case hold
    /// What a hold charged.
    case commit
    /// A hold released by its caller.
    case release
    /// A hold whose time ran out.
    case expiry
}
