/// Values the API shows, each with its JSON form. Times are ISO 8601 UTC text.
public protocol JSONRepresentable: Sendable {
    var json: JSON { get }
}

extension JSON {
    /// An optional string, `null` when absent.
    public static func optional(_ value: String?) -> JSON { value.map { .string($0) } ?? .null }

    /// ISO 8601 UTC text for Unix milliseconds, e.g. `2026-11-22T10:00:00.123Z`.
    public static func timestamp(millis: Int64) -> JSON { .string(ISOTime.format(millis: millis)) }
}

/// ISO 8601 timestamps without Foundation.
public enum ISOTime {
    public static func format(millis: Int64) -> String {
        let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        let date = CivilDate(unixSeconds: seconds)
        let secondOfDay = seconds - date.unixSeconds
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let ms = millis - seconds * 1000
        let msText = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(date)T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)).\(msText)Z"
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SSZ` or with fractional seconds (UTC only) to
    /// Unix milliseconds.
    public static func parse(_ text: String) -> Int64? {
        if let date = CivilDate(parsing: text) { return date.unixSeconds * 1000 }
        guard text.count >= 20, text.hasSuffix("Z"), text.allSatisfy(\.isASCII) else { return nil }
        let chars = Array(text.utf8)
        let digitsAt = [11, 12, 14, 15, 17, 18]
        guard chars[10] == UInt8(ascii: "T"), chars[13] == UInt8(ascii: ":"), chars[16] == UInt8(ascii: ":"),
              digitsAt.allSatisfy({ chars[$0] >= 48 && chars[$0] <= 57 }),
              let date = CivilDate(parsing: String(decoding: chars[0..<10], as: UTF8.self)),
              let hour = Int64(String(decoding: chars[11..<13], as: UTF8.self)), hour < 24,
              let minute = Int64(String(decoding: chars[14..<16], as: UTF8.self)), minute < 60,
              let second = Int64(String(decoding: chars[17..<19], as: UTF8.self)), second < 60 else { return nil }
        var millis: Int64 = 0
        if chars[19] == UInt8(ascii: ".") {
            let fraction = chars[20..<(chars.count - 1)]
            guard !fraction.isEmpty, fraction.count <= 9, fraction.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            let padded = Array(fraction.prefix(3)) + Array(repeating: UInt8(48), count: max(0, 3 - fraction.count))
            millis = Int64(String(decoding: padded, as: UTF8.self))!
        } else if chars.count != 20 {
            return nil
        }
        return (date.unixSeconds + hour * 3600 + minute * 60 + second) * 1000 + millis
    }
}

/// A workspace as `GET /v1/workspaces/{id}` shows it.
public struct WorkspaceView: JSONRepresentable, Equatable {
    public var id: String
    public var name: String
    public var planId: String
    public var status: WorkspaceStatus
    public var anchorDate: CivilDate
    public var period: BillingPeriod
    public var remainingAllowance: Amount
    public var remainingBalance: Amount
    public var heldAmount: Amount
    public var createdAtMillis: Int64
    /// Below this the wallet raises a `balance.low` event; `nil`: never.
    public var lowBalanceThreshold: Amount?

    public init(id: String, name: String, planId: String, status: WorkspaceStatus, anchorDate: CivilDate, period: BillingPeriod, remainingAllowance: Amount, remainingBalance: Amount, heldAmount: Amount, createdAtMillis: Int64, lowBalanceThreshold: Amount? = nil) {
        self.id = id
        self.name = name
        self.planId = planId
        self.status = status
        self.anchorDate = anchorDate
        self.period = period
        self.remainingAllowance = remainingAllowance
        self.remainingBalance = remainingBalance
        self.heldAmount = heldAmount
        self.createdAtMillis = createdAtMillis
        self.lowBalanceThreshold = lowBalanceThreshold
    }

    public var json: JSON {
        .object([
            "id": .string(id), "name": .string(name), "planId": .string(planId), "status": .string(status.rawValue),
            "lowBalanceThreshold": lowBalanceThreshold.map { .amount($0) } ?? .null,
            "anchorDate": .string(anchorDate.description),
            "period": .object(["start": .timestamp(millis: period.start * 1000), "end": .timestamp(millis: period.end * 1000)]),
            "remainingAllowance": .amount(remainingAllowance), "remainingBalance": .amount(remainingBalance),
            "heldAmount": .amount(heldAmount), "createdAt": .timestamp(millis: createdAtMillis),
        ])
    }
}

extension ActionCost: JSONRepresentable {
    public var json: JSON {
        .object(["actionType": .string(actionType), "baseCost": .amount(baseCost), "version": .int(version), "updatedAt": .timestamp(millis: updatedAt)])
    }
}

extension Plan: JSONRepresentable {
    public var json: JSON {
        .object([
            "id": .string(id), "name": .string(name), "monthlyAllowance": .amount(monthlyAllowance),
            "overagePolicy": .string(overagePolicy.rawValue), "overageRate": .amount(overageRate), "priceCents": .int(priceCents),
        ])
    }
}

/// A budget with what is left of it.
public struct BudgetView: JSONRepresentable, Equatable {
    public var budget: Budget

    public init(budget: Budget) { self.budget = budget }

    public var json: JSON {
        .object([
            "scope": .string(budget.scope.description), "limit": .amount(budget.limit), "unit": .string(budget.unit.rawValue),
            "period": .string(budget.period.rawValue), "used": .amount(budget.used), "remaining": .amount(budget.remaining),
        ])
    }
}

/// A ledger transaction as the API lists it.
public struct TransactionView: JSONRepresentable {
    public var id: String
    public var workspaceId: String?
    public var kind: String
    public var createdAtMillis: Int64
    public var decisionId: String?
    public var postings: [(account: String, unit: String, amount: Amount)]
    /// For a reversal: the transaction it reverses.
    public var reverses: String?

    public init(id: String, workspaceId: String?, kind: String, createdAtMillis: Int64, decisionId: String?, postings: [(account: String, unit: String, amount: Amount)], reverses: String? = nil) {
        self.reverses = reverses
        self.id = id
        self.workspaceId = workspaceId
        self.kind = kind
        self.createdAtMillis = createdAtMillis
        self.decisionId = decisionId
        self.postings = postings
    }

    public var json: JSON {
        .object([
            "id": .string(id), "workspaceId": .optional(workspaceId), "kind": .string(kind), "createdAt": .timestamp(millis: createdAtMillis),
            "decisionId": .optional(decisionId), "reverses": .optional(reverses),
            "postings": .array(postings.map { .object(["account": .string($0.account), "unit": .string($0.unit), "amount": .amount($0.amount)]) }),
        ])
    }
}

/// A credit grant and the transaction that made it.
public struct CreditGrantView: JSONRepresentable {
    public var id: String
    public var workspaceId: String
    public var amount: Amount
    public var remaining: Amount
    public var expiresAtMillis: Int64?
    public var note: String?
    public var createdAtMillis: Int64
    public var transaction: TransactionView

    public init(id: String, workspaceId: String, amount: Amount, remaining: Amount, expiresAtMillis: Int64?, note: String?, createdAtMillis: Int64, transaction: TransactionView) {
        self.id = id
        self.workspaceId = workspaceId
        self.amount = amount
        self.remaining = remaining
        self.expiresAtMillis = expiresAtMillis
        self.note = note
        self.createdAtMillis = createdAtMillis
        self.transaction = transaction
    }

    public var json: JSON {
        .object([
            "id": .string(id), "workspaceId": .string(workspaceId), "amount": .amount(amount), "remaining": .amount(remaining),
            "expiresAt": expiresAtMillis.map { .timestamp(millis: $0) } ?? .null, "note": .optional(note),
            "createdAt": .timestamp(millis: createdAtMillis), "transaction": transaction.json,
        ])
    }
}

extension DecisionRecord: JSONRepresentable {
    public var json: JSON {
        var context: JSON = .null
        if let text = self.context, let parsed = try? JSON.parse(Array(text.utf8)) { context = parsed }
        return .object([
            "id": .string(id), "workspaceId": .string(workspaceId), "createdAt": .timestamp(millis: createdAtMillis),
            "actionType": .string(actionType), "success": .bool(success), "reason": .string(reason.rawValue),
            "actionsCharged": .amount(actionsCharged), "fromAllowance": .amount(fromAllowance), "debitAmount": .amount(creditsDebited),
            "userId": .optional(userId), "agentId": .optional(agentId), "runId": .optional(runId),
            "costVersion": .int(costVersion), "context": context, "transactionId": .optional(transactionId),
        ])
    }
}

/// An API key's public record (never the secret).
public struct APIKeyView: JSONRepresentable, Equatable {
    public var id: String
    public var role: Role
    public var workspaceIds: [String]
    public var name: String?
    public var createdAtMillis: Int64
    /// The first characters of the key, to recognise it.
    public var prefix: String
    /// The key's own rate limit; `nil` (shown as `null`) follows the server's default.
    public var rateLimit: RateLimit?

    public init(id: String, role: Role, workspaceIds: [String], name: String?, createdAtMillis: Int64, prefix: String, rateLimit: RateLimit? = nil) {
        self.id = id
        self.role = role
        self.workspaceIds = workspaceIds
        self.name = name
        self.createdAtMillis = createdAtMillis
        self.prefix = prefix
        self.rateLimit = rateLimit
    }

    public var json: JSON {
        .object([
            "id": .string(id), "role": .string(role.rawValue), "workspaceIds": .array(workspaceIds.map { .string($0) }),
            "name": .optional(name), "createdAt": .timestamp(millis: createdAtMillis), "prefix": .string(prefix),
            "rateLimit": rateLimit?.json ?? .null,
        ])
    }
}

/// Usage of one workspace over a date range, from approved decisions.
public struct UsageReport: JSONRepresentable {
    public struct Bucket: Sendable {
        public var count: Int64
        public var actions: Amount
        public var credits: Amount

        public init(count: Int64, actions: Amount, credits: Amount) {
            self.count = count
            self.actions = actions
            self.credits = credits
        }
    }

    public var workspaceId: String
    /// Unix milliseconds, inclusive.
    public var fromMillis: Int64
    /// Unix milliseconds, exclusive.
    public var toMillis: Int64
    public var remainingBalance: Amount
    public var remainingAllowance: Amount
    public var totalActions: Amount
    public var totalCreditsSpent: Amount
    public var byActionType: [String: Bucket]
    public var daily: [(date: CivilDate, actions: Amount, credits: Amount)]
    public var topUsers: [(userId: String, actions: Amount, credits: Amount)]

    public init(workspaceId: String, fromMillis: Int64, toMillis: Int64, remainingBalance: Amount, remainingAllowance: Amount, totalActions: Amount, totalCreditsSpent: Amount, byActionType: [String: Bucket], daily: [(date: CivilDate, actions: Amount, credits: Amount)], topUsers: [(userId: String, actions: Amount, credits: Amount)]) {
        self.workspaceId = workspaceId
        self.fromMillis = fromMillis
        self.toMillis = toMillis
        self.remainingBalance = remainingBalance
        self.remainingAllowance = remainingAllowance
        self.totalActions = totalActions
        self.totalCreditsSpent = totalCreditsSpent
        self.byActionType = byActionType
        self.daily = daily
        self.topUsers = topUsers
    }

    public var json: JSON {
        .object([
            "workspaceId": .string(workspaceId), "from": .timestamp(millis: fromMillis), "to": .timestamp(millis: toMillis),
            "remainingBalance": .amount(remainingBalance), "remainingAllowance": .amount(remainingAllowance),
            "totalActions": .amount(totalActions), "totalCreditsSpent": .amount(totalCreditsSpent),
            "byActionType": .object(byActionType.mapValues { .object(["count": .int($0.count), "actions": .amount($0.actions), "credits": .amount($0.credits)]) }),
            "daily": .array(daily.map { .object(["date": .string($0.date.description), "actions": .amount($0.actions), "credits": .amount($0.credits)]) }),
            "topUsers": .array(topUsers.map { .object(["userId": .string($0.userId), "actions": .amount($0.actions), "credits": .amount($0.credits)]) }),
        ])
    }

    /// One line per day: `date,actions,credits`.
    public var csv: String {
        var text = "date,actions,credits\n"
        for day in daily { text += "\(day.date),\(day.actions),\(day.credits)\n" }
        return text
    }
}


/// One decision with everything that explains it (SPEC §3.5): its record, its explanation,
/// its ledger transaction, and its place in the workspace's hash chain.
public struct DecisionExplanation: Sendable {
    public var seq: Int64
    public var record: DecisionRecord
    public var previousHash: String
    public var hash: String
    /// `nil` for decisions recorded before explanations were kept.
    public var explanation: ChargeExplanation?
    /// `nil` when the decision moved nothing.
    public var transaction: TransactionView?

    public init(seq: Int64, record: DecisionRecord, previousHash: String, hash: String, transaction: TransactionView?) {
        self.seq = seq
        self.record = record
        self.previousHash = previousHash
        self.hash = hash
        self.explanation = record.explanation.flatMap(ChargeExplanation.init(decoding:))
        self.transaction = transaction
    }
}

/// What `POST /v1/transactions/{id}/reverse` appended.
public struct Reversal: Sendable {
    public var transaction: TransactionView
    public var decision: DecisionRecord

    public init(transaction: TransactionView, decision: DecisionRecord) {
        self.transaction = transaction
        self.decision = decision
    }
}
