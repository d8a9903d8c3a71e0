/// Deferred revenue of one workspace's paid grants over `[from, to)` (SPEC §3.9): what was
/// paid (`issued`), earned as credits were spent (`recognized`), lost as they expired
/// (`breakage`), paid back (`refunded`), and what was still owed in credits at each end
/// (`deferredOpening`, `deferredClosing`), all in cents. Fed the ledger's rows up to `to`
/// in any order; each figure is a difference of one cumulative rule taken at `from` and at
/// `to`, so that `opening + issued − recognized − breakage − refunded = closing` holds to
/// the cent by construction.
public struct RevenueLedger: Sendable {
    public struct Line: Sendable, Equatable {
        public var workspaceId: String
        public var issuedCents: Int64 = 0
        public var recognizedCents: Int64 = 0
        public var breakageCents: Int64 = 0
        public var refundedCents: Int64 = 0
        public var deferredOpeningCents: Int64 = 0
        public var deferredClosingCents: Int64 = 0

        public init(workspaceId: String) { self.workspaceId = workspaceId }
    }

    struct Grant {
        var costCents: Int64
        var amount: Amount
        var createdAtMillis: Int64
        /// Credits gone by `from` and by `to`: spent (less given back), and expired.
        var spent = (from: Amount.zero, to: Amount.zero)
        var expired = (from: Amount.zero, to: Amount.zero)
    }

    public let workspaceId: String
    public let fromMillis: Int64
    public let toMillis: Int64
    private var grants: [String: Grant] = [:]
    /// Each purchase's refunded total by `from` and by `to` (a refund event carries the total).
    private var refunds: [String: (from: Int64, to: Int64)] = [:]

    public init(workspaceId: String, fromMillis: Int64, toMillis: Int64) {
        self.workspaceId = workspaceId
        self.fromMillis = fromMillis
        self.toMillis = toMillis
    }

    /// A grant with a cost, made before `to`.
    public mutating func grant(id: String, costCents: Int64, amount: Amount, createdAtMillis: Int64) {
        guard costCents > 0, amount > .zero, createdAtMillis < toMillis else { return }
        grants[id] = Grant(costCents: costCents, amount: amount, createdAtMillis: createdAtMillis)
    }

    /// Whether slices of `grantId` matter: the grant has a cost.
    public func counts(_ grantId: String) -> Bool { grants[grantId] != nil }

    /// Credits of a grant spent (negative: given back by a reversal) at `atMillis`.
    public mutating func spent(_ slices: [GrantDraw], atMillis: Int64) {
        for slice in slices where grants[slice.grantId] != nil {
            if atMillis < fromMillis { grants[slice.grantId]?.spent.from.accumulate(slice.amount) }
            if atMillis < toMillis { grants[slice.grantId]?.spent.to.accumulate(slice.amount) }
        }
    }

    /// Credits of a grant that expired at `atMillis`.
    public mutating func expired(_ slices: [GrantDraw], atMillis: Int64) {
        for slice in slices where grants[slice.grantId] != nil {
            if atMillis < fromMillis { grants[slice.grantId]?.expired.from.accumulate(slice.amount) }
            if atMillis < toMillis { grants[slice.grantId]?.expired.to.accumulate(slice.amount) }
        }
    }

    /// A refund of `purchaseId` bringing its refunded total to `totalCents`, at `atMillis`.
    public mutating func refunded(purchaseId: String, totalCents: Int64, atMillis: Int64) {
        var totals = refunds[purchaseId] ?? (0, 0)
        if atMillis < fromMillis { totals.from = max(totals.from, totalCents) }
        if atMillis < toMillis { totals.to = max(totals.to, totalCents) }
        refunds[purchaseId] = totals
    }

    /// The line. - Throws: `amountTooLarge` past what cents hold (never with real prices).
    public func line() throws(TributeError) -> Line {
        var line = Line(workspaceId: workspaceId)
        func checked(_ value: Int64?) throws(TributeError) -> Int64 {
            guard let value else { throw .amountTooLarge("A revenue figure is past what it can hold") }
            return value
        }
        func add(_ value: Int64, to total: inout Int64) throws(TributeError) {
            let (sum, overflow) = total.addingReportingOverflow(value)
            guard !overflow else { throw .amountTooLarge("A revenue figure is past what it can hold") }
            total = sum
        }
        // Earned and lost by a point: one rule for both ends.
        func gone(_ grant: Grant, spent: Amount, expired: Amount) throws(TributeError) -> (recognized: Int64, breakage: Int64) {
            let spentClamped = max(.zero, spent)
            let recognized = try checked(spentClamped.centsEarned(of: grant.amount, costCents: grant.costCents))
            let lost = try checked((spentClamped + max(.zero, expired)).centsEarned(of: grant.amount, costCents: grant.costCents))
            return (recognized, lost - recognized)
        }
        for (_, grant) in grants.sorted(by: { $0.key < $1.key }) {
            let atFrom = grant.createdAtMillis < fromMillis ? try gone(grant, spent: grant.spent.from, expired: grant.expired.from) : (recognized: 0, breakage: 0)
            let atTo = try gone(grant, spent: grant.spent.to, expired: grant.expired.to)
            if grant.createdAtMillis >= fromMillis { try add(grant.costCents, to: &line.issuedCents) } else {
                try add(grant.costCents - atFrom.recognized - atFrom.breakage, to: &line.deferredOpeningCents)
            }
            try add(atTo.recognized - atFrom.recognized, to: &line.recognizedCents)
            try add(atTo.breakage - atFrom.breakage, to: &line.breakageCents)
            try add(grant.costCents - atTo.recognized - atTo.breakage, to: &line.deferredClosingCents)
        }
        for (_, totals) in refunds.sorted(by: { $0.key < $1.key }) {
            try add(totals.to - totals.from, to: &line.refundedCents)
            try add(-totals.from, to: &line.deferredOpeningCents)
            try add(-totals.to, to: &line.deferredClosingCents)
        }
        return line
    }
}

extension Amount {
    /// Adds, stopping at the bound: a grant's credits gone never pass its amount in a
    /// ledger that verifies, and what is past it counts as the whole.
    mutating func accumulate(_ amount: Amount) {
        self = adding(amount) ?? (amount > .zero ? Amount.max : -Amount.max)
    }
}
