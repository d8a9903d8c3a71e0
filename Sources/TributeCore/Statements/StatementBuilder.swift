/// Builds a `CreditStatement` from the ledger's rows of its range, fed one at a time in the order
/// they were written (SPEC §3.9): the grants made, the decisions (their grant slices say
/// which category each credit charged or given back was), and the transactions whose
/// postings move credits or allowance outside a decision (expiries, refunds, period closes).
/// Flat memory: the usage tallies are bounded (`UsageTally`).
public struct StatementBuilder: Sendable {
    private var statement: CreditStatement
    /// Each grant's category, by id: what a slice of a decision or an expiry names.
    private let categories: [String: GrantCategory]
    private var movements: [CreditStatement.StatementMovement] = []
    private var usageByCategory = CreditStatement.CategoryBalances()
    private var byActionType = UsageTally(), byAgent = UsageTally(), byUser = UsageTally(), byRun = UsageTally()
    private var firstSeq: Int64?
    private var head: (seq: Int64, hash: String)?

    /// A credit whose grant is not known (a row written before grants had categories)
    /// counts as promotional.
    static let unknownCategory = GrantCategory.promotional

    public struct Unbalanced: Error, CustomStringConvertible {
        public var description: String

        public init(description: String) { self.description = description }
    }

    public init(workspaceId: String, number: Int?, fromMillis: Int64, toMillis: Int64, opening: CreditStatement.CategoryBalances, categories: [String: GrantCategory]) {
        self.categories = categories
        statement = CreditStatement(workspaceId: workspaceId, number: number, fromMillis: fromMillis, toMillis: toMillis, opening: opening, closing: opening,
                              allowance: CreditStatement.AllowanceSummary(), movements: [], usage: CreditStatement.UsageSummary(), holdsOpen: [], chain: nil)
    }

    /// `total + amount`, checked: no sequence of rows traps a build.
    static func add(_ amount: Amount, to total: inout Amount) throws(TributeError) {
        guard let sum = total.adding(amount) else { throw .amountTooLarge("A statement's total is past the largest amount") }
        total = sum
    }

    private func category(of grantId: String) -> GrantCategory { categories[grantId] ?? Self.unknownCategory }

    /// Credits by category of `slices`, with what they do not cover of `total` (an older
    /// row's) counted as `unknownCategory`.
    private func split(_ slices: [GrantDraw], total: Amount) -> [(GrantCategory, Amount)] {
        var parts: [GrantCategory: Amount] = [:]
        var covered = Amount.zero
        for slice in slices {
            parts[category(of: slice.grantId), default: .zero] += slice.amount
            covered += slice.amount
        }
        if total != covered { parts[Self.unknownCategory, default: .zero] += total - covered }
        return GrantCategory.allCases.compactMap { category in parts[category].flatMap { $0.isZero ? nil : (category, $0) } }
    }

    private mutating func move(_ movement: CreditStatement.StatementMovement) throws {
        try statement.closing.add(movement.credits, to: movement.category)
        movements.append(movement)
    }

    /// A grant made in the range.
    public mutating func grant(id: String, category: GrantCategory, amount: Amount, atMillis: Int64, purchase: CreditStatement.PurchaseRef?) throws {
        try move(CreditStatement.StatementMovement(atMillis: atMillis, kind: .grant, credits: amount, category: category, ref: id, purchase: purchase))
    }

    /// A decision made in the range, with its order number and hash in the chain.
    public mutating func decision(seq: Int64, hash: String, _ record: DecisionRecord) throws {
        firstSeq = min(firstSeq ?? seq, seq)
        if head.map({ seq > $0.seq }) ?? true { head = (seq, hash) }
        let explanation = record.chargeExplanation
        if let lapsed = explanation?.givenBack?.lapsed, !lapsed.isZero { try Self.add(lapsed, to: &statement.allowance.lapsed) }
        switch (record.reason, record.kind) {
        case (.approved, .call), (.approved, .commit):
            try Self.add(record.fromAllowance, to: &statement.allowance.used)
            let usage = UsageTally.Use(actions: record.actionsCharged, credits: record.creditsDebited)
            statement.usage.calls += 1
            try Self.add(record.actionsCharged, to: &statement.usage.actions)
            try Self.add(record.creditsDebited, to: &statement.usage.credits)
            try byActionType.add(record.actionType, usage)
            if let agent = record.agentId { try byAgent.add(agent, usage) }
            if let user = record.userId { try byUser.add(user, usage) }
            if let run = record.runId { try byRun.add(run, usage) }
            for (category, credits) in split(explanation?.grants ?? [], total: record.creditsDebited) {
                try usageByCategory.add(credits, to: category)
                try statement.closing.add(-credits, to: category)
            }
        case (.reversed, _):
            // A reversal's amounts are negative: what the charge took, given back.
            try Self.add(record.fromAllowance, to: &statement.allowance.used)
            for (category, credits) in split(explanation?.grants ?? [], total: -record.creditsDebited) {
                try move(CreditStatement.StatementMovement(atMillis: record.createdAtMillis, kind: .reversal, credits: credits, category: category, ref: record.id))
            }
        default:
            // A hold moves credits between the wallet and the hold accounts, both the
            // workspace's; a denial moves nothing.
            break
        }
    }

    /// A transaction of the range not carried by a decision: `postings` of the workspace's
    /// own accounts and the system accounts, by kind.
    public mutating func transaction(id: String, kind: LedgerTransaction.Kind, atMillis: Int64, postings: [(AccountKind, Amount)], detail: String?) throws {
        func sum(_ account: AccountKind) -> Amount { postings.filter { $0.0 == account }.reduce(.zero) { $0 + $1.1 } }
        switch kind {
        case .grantExpiry:
            let slices: [GrantDraw]
            if let detail, case .expired(let expired)? = TransactionDetail(decoding: detail) { slices = expired } else { slices = [] }
            for (category, credits) in split(slices, total: -sum(.wallet)) {
                try move(CreditStatement.StatementMovement(atMillis: atMillis, kind: .expiry, credits: -credits, category: category, ref: id))
            }
        case .creditRefund:
            // Only a purchase's grant is refunded, and it is paid.
            let taken = -sum(.wallet)
            if !taken.isZero { try move(CreditStatement.StatementMovement(atMillis: atMillis, kind: .refund, credits: -taken, category: .paid, ref: id)) }
        case .allowanceReset:
            try Self.add(-sum(.allowanceIssued), to: &statement.allowance.issued)
            try Self.add(sum(.allowanceLapsed), to: &statement.allowance.lapsed)
        default:
            // Grants come as grants; decisions' transfers with their decisions; netting
            // moves system accounts only.
            break
        }
    }

    /// A period close's carry, at its boundary (Unix seconds), whenever it was written: in
    /// when the boundary starts or falls inside the range, out when it ends it or falls inside.
    public mutating func carry(_ carried: Amount, boundary: Int64) throws {
        let at = boundary * 1000
        if statement.fromMillis <= at && at < statement.toMillis { try Self.add(carried, to: &statement.allowance.rolloverIn) }
        if statement.fromMillis < at && at <= statement.toMillis { try Self.add(carried, to: &statement.allowance.rolloverOut) }
    }

    /// A hold open at the close.
    public mutating func holdOpen(_ hold: CreditStatement.OpenHold) { statement.holdsOpen.append(hold) }

    /// Marks the reversals of charges made before the range: corrections of an earlier
    /// statement, shown on this one.
    public mutating func markAdjustments(reversalsOfEarlierCharges decisionIds: Set<String>) {
        for index in movements.indices where movements[index].kind == .reversal && movements[index].ref.map(decisionIds.contains) == true {
            movements[index].adjustment = true
        }
    }

    /// The statement, its closing checked against its opening and movements.
    /// - Throws: `Unbalanced` when they disagree (rows that do not add up).
    public func finish() throws -> CreditStatement {
        var result = statement
        for category in GrantCategory.allCases where !usageByCategory[category].isZero {
            result.movements.append(CreditStatement.StatementMovement(atMillis: result.toMillis, kind: .usage, credits: -usageByCategory[category], category: category, ref: nil))
        }
        result.movements = movements.sorted { ($0.atMillis, $0.ref ?? "") < ($1.atMillis, $1.ref ?? "") } + result.movements
        var check = result.opening
        for movement in result.movements { try check.add(movement.credits, to: movement.category) }
        guard check == result.closing else {
            throw Unbalanced(description: "statement of \(result.workspaceId): opening \(result.opening.credits) and movements do not make closing \(result.closing.credits)")
        }
        result.usage.creditsByCategory = usageByCategory
        result.usage.byActionType = byActionType.lines
        result.usage.byAgent = byAgent.lines
        result.usage.byUser = byUser.lines
        result.usage.byRun = byRun.lines
        if let firstSeq, let head { result.chain = CreditStatement.ChainRange(fromSeq: firstSeq, toSeq: head.seq, headHash: head.hash) }
        return result
    }
}

/// Usage by one key (action type, agent, user, run), in bounded memory: at most
/// `maxKeys` keys are counted apart, the rest together; a statement shows the
/// `shownLines` largest and the rest as one line.
struct UsageTally: Sendable {
    struct Use: Sendable {
        var calls: Int64 = 1
        var actions: Amount
        var credits: Amount
    }

    static let maxKeys = 10_000
    static let shownLines = 100
    private var byKey: [String: Use] = [:]
    private var other = Use(calls: 0, actions: .zero, credits: .zero)

    mutating func add(_ key: String, _ use: Use) throws(TributeError) {
        if byKey[key] == nil, byKey.count >= Self.maxKeys {
            try other.add(use)
        } else {
            var total = byKey[key] ?? Use(calls: 0, actions: .zero, credits: .zero)
            try total.add(use)
            byKey[key] = total
        }
    }

    /// The largest by credits, then actions, then key; the rest as one line (key `nil`).
    var lines: [CreditStatement.UsageLine] {
        let sorted = byKey.sorted { ($1.value.credits, $1.value.actions, $0.key) < ($0.value.credits, $0.value.actions, $1.key) }
        var rest = other
        // Cannot pass the bound: every line's use is part of the checked whole.
        for (_, use) in sorted.dropFirst(Self.shownLines) { try? rest.add(use) }
        var lines = sorted.prefix(Self.shownLines).map { CreditStatement.UsageLine(key: $0.key, calls: $0.value.calls, actions: $0.value.actions, credits: $0.value.credits) }
        if rest.calls > 0 { lines.append(CreditStatement.UsageLine(key: nil, calls: rest.calls, actions: rest.actions, credits: rest.credits)) }
        return lines
    }
}

extension UsageTally.Use {
    mutating func add(_ use: UsageTally.Use) throws(TributeError) {
        try StatementBuilder.add(use.actions, to: &actions)
        try StatementBuilder.add(use.credits, to: &credits)
        calls += use.calls
    }
}
