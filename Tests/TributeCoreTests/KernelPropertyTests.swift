import Foundation
import PropertyBased
import Testing
@testable import TributeCore

/// The kernel against a simple model, with no I/O: random sequences of calls, clock moves,
/// plan changes, grants and reversals, and after every step each balance is checked
/// against the sum of the postings the kernel produced, the wallet against its grants, the
/// bound, and the chain.
@Suite struct KernelPropertyTests {
    /// Seeded, so that a failing seed can be replayed.
    struct Rng {
        var generator: Xoshiro
        init(seed: UInt64) { generator = Xoshiro(seed: (seed, seed &+ 1, seed &+ 2, seed &+ 3)) }
        mutating func below(_ bound: UInt64) -> UInt64 { generator.next() % bound }
    }

    /// The model: a ledger of postings, applied as the kernel's effects say.
    struct Model {
        var balances: [AccountRef: Amount] = [:]
        var state: WorkspaceState
        var grants: [GrantBalance] = []
        var budgets: [StoredBudget] = []
        var system = SystemBalances()
        var chain: [ChainedDecision] = []
        var charges: [Kernel.Charge] = []
        var holds: [HoldRecord] = []
        /// Holds made, and hold steps (commits, releases) applied: the sequence must reach them.
        var holdsMade = 0, holdSteps = 0, settledHolds = 0

        /// The open holds as a store loads them for a call.
        var expiring: [ExpiringHold] { holds.map { ExpiringHold(hold: $0, budgets: budgets) } }
        var counter = 0

        mutating func id(_ prefix: String) -> String {
            counter += 1
            return "\(prefix)_\(counter)"
        }

        mutating func ids() -> Kernel.Ids {
            let extra = Counter(start: counter * 1_000)
            return Kernel.Ids(decision: id("dec"), next: { extra.next($0) })
        }

        mutating func apply(_ transactions: [PendingTransaction]) {
            for transaction in transactions {
                var sums: [LedgerUnit: Amount] = [:]
                for posting in transaction.postings {
                    balances[posting.account, default: .zero] += posting.amount
                    sums[posting.unit, default: .zero] += posting.amount
                }
                let balanced = sums.values.allSatisfy { $0.isZero }
                #expect(balanced, "transaction \(transaction.id) is unbalanced")
            }
        }

        mutating func take(_ effects: LedgerEffects) {
            apply(effects.transactions)
            for decision in effects.decisions {
                let previous = chain.last?.hash ?? DecisionRecord.genesisHash
                #expect(decision.hash == decision.record.chainHash(previous: previous))
                #expect(decision.digest == decision.record.chainDigest(previous: previous))
                chain.append(decision)
            }
            for hold in effects.holds {
                holds.removeAll { $0.id == hold.id }
                if hold.status == .open { holds.append(hold) } else { settledHolds += 1 }
            }
            state = effects.workspace
            if let changed = effects.grants {
                for (grantId, remaining) in changed.changed {
                    if let index = grants.firstIndex(where: { $0.id == grantId }) { grants[index].remaining = remaining }
                }
            }
            for budget in effects.budgets {
                if let index = budgets.firstIndex(where: { $0.budget.scope == budget.budget.scope }) { budgets[index] = budget }
            }
        }

        mutating func step(_ result: Kernel.HoldStep) {
            system = result.system
            take(result.effects)
            holdSteps += 1
            holds.removeAll { $0.id == result.hold.id }
            if result.hold.status == .open { holds.append(result.hold) }
        }

        func check() {
            let heldAllowance = AccountRef(kind: .heldAllowance, workspaceId: state.id), heldCredits = AccountRef(kind: .heldCredits, workspaceId: state.id)
            #expect(state.heldAllowance == balances[heldAllowance, default: .zero])
            #expect(state.heldCredits == balances[heldCredits, default: .zero])
            #expect(state.heldAllowance == holds.reduce(.zero) { $0 + $1.heldAllowance })
            #expect(state.heldCredits == holds.reduce(.zero) { $0 + $1.heldCredits })
            for hold in holds {
                #expect(hold.heldCredits == hold.draws.reduce(.zero) { $0 + $1.amount })
                #expect(hold.heldAllowance <= hold.heldActions)
            }
            #expect(state.wallet == balances[.wallet(state.id), default: .zero])
            #expect(state.allowance == balances[.allowance(state.id), default: .zero])
            #expect(state.wallet == grants.reduce(.zero) { $0 + $1.remaining })
            #expect(state.wallet >= .zero && state.allowance >= .zero)
            // No give-back passes what the plan in force grants (issue: a release after a
            // downgrade restored the old plan's allowance).
            let heldInPeriod = holds.filter { $0.periodStart == state.period.start }.reduce(Amount.zero) { $0 + $1.heldAllowance }
            #expect(AllowanceAudit.violation(workspaceId: state.id, allowanceMicros: state.allowance.micros, periodUsedMicros: state.periodUsed.micros,
                                             heldInPeriodMicros: heldInPeriod.micros, planAllowanceMicros: state.plan.monthlyAllowance.micros,
                                             rollover: state.rollover.encoded) == nil)
            #expect(grants.allSatisfy { $0.remaining >= .zero })
            #expect(state.decisionHead == (chain.last?.hash ?? DecisionRecord.genesisHash))
            for budget in budgets { #expect(budget.budget.used >= .zero) }
        }
    }

    static let plans = [
        Plan(id: "prepaid", name: "Prepaid", monthlyAllowance: .zero, overagePolicy: .credits, overageRate: Amount(micros: 100_000), priceCents: 0),
        Plan(id: "pro", name: "Pro", monthlyAllowance: Amount(units: 20), overagePolicy: .credits, overageRate: Amount(micros: 80_000), priceCents: 0),
        Plan(id: "capped", name: "Capped", monthlyAllowance: Amount(units: 10), overagePolicy: .block, overageRate: .zero, priceCents: 0),
    ]

    @Test(arguments: 0..<40)
    func randomSequencesKeepEveryBalanceEqualToItsPostings(seed: UInt64) throws {
        var rng = Rng(seed: seed &* 7919 &+ 1)
        let start: Int64 = 1_773_144_000_000
        var now = start
        var model = Model(state: WorkspaceState(
            id: "w", name: "w", status: .active, anchorDate: CivilDate(unixSeconds: start / 1000), period: BillingPeriod(start: 0, end: 0),
            periodUsed: .zero, nextExpiryAtMillis: nil, createdAtMillis: start, plan: Self.plans[Int(rng.below(3))], wallet: .zero, allowance: .zero,
            lowBalanceThreshold: nil, decisionHead: DecisionRecord.genesisHash))
        model.budgets = [StoredBudget(budget: Budget(scope: BudgetScope(kind: .user, id: "u"), limit: Amount(units: 30), unit: .actions, period: .month, used: .zero), periodStart: 0)]
        let firstId = model.id("txn")
        if let rolls = model.state.rollPeriod(nowMillis: now, transactionId: firstId) { model.apply(rolls) }

        for _ in 0..<150 {
            switch rng.below(14) {
            case 10:
                let request = AuthorizeRequest(workspaceId: "w", actionType: "A", userId: rng.below(2) == 0 ? "u" : nil,
                                               costMultiplier: Amount(micros: Int64(rng.below(5_000_000))))
                let grants = model.grants.filter { !$0.remaining.isZero }
                let stored = model.budgets.filter { budget in request.budgetScopes.contains(budget.budget.scope) }
                // Only what `Kernel.needs` says is loaded, as the backends load it.
                let needs = Kernel.needs(model.state, nowMillis: now)
                let expiring = needs.holds ? model.expiring : [], allGrants = model.grants, holdId = model.id("hold")
                let result = try Kernel.hold(request, ttlSeconds: Int64(1 + rng.below(86_400)), holdId: holdId, state: model.state,
                                             cost: .unit, budgets: stored, grants: needs.grants ? OpenGrants(allGrants) : nil, holds: expiring,
                                             system: model.system, ids: model.ids(), nowMillis: now)
                _ = grants
                model.system = result.system
                model.take(result.effects)
                if let hold = result.hold, hold.status == .open { model.holdsMade += 1 }
            case 11:
                guard !model.holds.isEmpty else { continue }
                let hold = model.holds[Int(rng.below(UInt64(model.holds.count)))]
                let actual = Amount(micros: Int64(rng.below(UInt64(max(1, hold.heldActions.micros + 1)))))
                do {
                    model.step(try Kernel.commitHold(hold, actualActions: actual, final: rng.below(2) == 0, state: model.state, grants: OpenGrants(model.grants),
                                                     budgets: model.budgets, system: model.system, ids: model.ids(), nowMillis: now))
                } catch TributeError.holdExpired {
                    #expect(hold.hasExpired(nowMillis: now))
                    model.step(try Kernel.settleHold(hold, state: model.state, grants: OpenGrants(model.grants), budgets: model.budgets,
                                                      system: model.system, ids: model.ids(), nowMillis: now))
                }
            case 12:
                guard !model.holds.isEmpty else { continue }
                let hold = model.holds[Int(rng.below(UInt64(model.holds.count)))]
                model.step(try Kernel.settleHold(hold, state: model.state, grants: OpenGrants(model.grants), budgets: model.budgets,
                                                  system: model.system, ids: model.ids(), nowMillis: now))
            case 13:
                // A commit of more than is held is refused and changes nothing.
                guard let hold = model.holds.first, !hold.hasExpired(nowMillis: now) else { continue }
                #expect {
                    try Kernel.commitHold(hold, actualActions: hold.heldActions + Amount(micros: 1), final: true, state: model.state,
                                          grants: OpenGrants(model.grants), budgets: model.budgets, system: model.system, ids: model.ids(), nowMillis: now)
                } throws: { ($0 as? TributeError)?.code == "exceeds_hold" }
            case 0...4:
                let request = AuthorizeRequest(workspaceId: "w", actionType: "A", userId: rng.below(2) == 0 ? "u" : nil,
                                               costMultiplier: Amount(micros: Int64(rng.below(5_000_000))))
                let ids = model.ids()
                let grants = model.grants.filter { !$0.remaining.isZero }
                let stored = model.budgets.filter { budget in request.budgetScopes.contains(budget.budget.scope) }
                let needs = Kernel.needs(model.state, nowMillis: now)
                let expiring = needs.holds ? model.expiring : [], allGrants = model.grants
                let result = try Kernel.authorize(request, state: model.state, cost: .unit, budgets: stored,
                                                  grants: needs.grants ? OpenGrants(allGrants) : nil, holds: expiring, system: model.system, ids: ids, nowMillis: now)
                _ = grants
                model.system = result.system
                model.take(result.effects)
                if let debit = result.effects.transactions.first(where: { $0.kind == .debit }) {
                    model.charges.append(Kernel.Charge(transaction: debit, decision: result.effects.decision.record))
                }
            case 5:
                // A grant, as a store writes one: credits from the system into the wallet.
                let amount = Amount(micros: Int64(1 + rng.below(3_000_000)))
                let expiresAt: Int64? = rng.below(2) == 0 ? nil : now + Int64(rng.below(40 * 86_400_000))
                let grant = GrantBalance(id: model.id("grant"), remaining: amount, expiresAt: expiresAt)
                model.grants.append(grant)
                model.apply([PendingTransaction(try LedgerTransaction.transfer(.creditGrant, amount, from: .system(.grants), to: .wallet("w")),
                                                id: model.id("txn"), workspaceId: "w", decisionId: nil, atMillis: now)])
                model.state.wallet += amount
                model.state.nextExpiryAtMillis = OpenGrants(model.grants.filter { !$0.remaining.isZero }).nextExpiryAtMillis
            case 6:
                now += Int64(rng.below(20 * 86_400_000))
            case 7:
                let plan = Self.plans[Int(rng.below(3))]
                let rollId = model.id("txn"), changeId = model.id("txn")
                if let rolls = model.state.rollPeriod(nowMillis: now, transactionId: rollId) { model.apply(rolls) }
                if let change = try model.state.changePlan(to: plan, nowMillis: now, transactionId: changeId) { model.apply([change]) }
            default:
                guard !model.charges.isEmpty else { continue }
                let charge = model.charges.remove(at: Int(rng.below(UInt64(model.charges.count))))
                let result: (effects: LedgerEffects, system: SystemBalances)
                do {
                    result = try Kernel.reverse(charge, reason: "test", state: model.state, grants: OpenGrants(model.grants),
                                                budgets: model.budgets, system: model.system, ids: model.ids(), nowMillis: now)
                } catch TributeError.notReversible {
                    // Only a charge that took no credits, whose allowance lapsed with its period
                    // or no longer fits the plan.
                    #expect(!charge.transaction.postings.contains { $0.account == .wallet("w") })
                    continue
                }
                model.system = result.system
                model.take(result.effects)
                // Exactly what the charge took: every workspace posting negated, less
                // allowance of an ended period.
                let reversal = result.effects.transactions.first { $0.kind == .reversal }
                let walletBack = reversal?.postings.filter { $0.account == .wallet("w") }.reduce(Amount.zero) { $0 + $1.amount } ?? .zero
                let walletTaken = charge.transaction.postings.filter { $0.account == .wallet("w") }.reduce(Amount.zero) { $0 + $1.amount }
                #expect(walletBack == -walletTaken)
            }
            model.check()
        }
        #expect(model.holdsMade > 0 && model.holdSteps > 0, "made \(model.holdsMade) holds, \(model.holdSteps) steps")

    }

    @Test func aPeriodRollIssuesThePlansAllowanceAndLapsesTheRest() {
        var state = WorkspaceState(
            id: "w", name: "w", status: .active, anchorDate: CivilDate(year: 2026, month: 3, day: 1), period: BillingPeriod(start: 0, end: 0),
            periodUsed: Amount(units: 3), nextExpiryAtMillis: nil, createdAtMillis: 0, plan: Self.plans[1], wallet: .zero, allowance: Amount(units: 7),
            lowBalanceThreshold: nil, decisionHead: DecisionRecord.genesisHash)
        let roll = state.rollPeriod(nowMillis: 1_773_144_000_000, transactionId: "t")
        #expect(roll?.first?.postings.map(\.amount) == [Amount(units: -7), Amount(units: 7), Amount(units: -20), Amount(units: 20)])
        #expect(state.allowance == Amount(units: 20) && state.periodUsed == .zero)
        #expect(state.rollPeriod(nowMillis: 1_773_144_000_000, transactionId: "t") == nil)
    }

    static func proState() -> WorkspaceState {
        WorkspaceState(
            id: "w", name: "w", status: .active, anchorDate: CivilDate(year: 2026, month: 3, day: 1), period: BillingPeriod(start: 0, end: 0),
            periodUsed: .zero, nextExpiryAtMillis: nil, createdAtMillis: 0, plan: plans[1], wallet: .zero, allowance: .zero,
            lowBalanceThreshold: nil, decisionHead: DecisionRecord.genesisHash)
    }

    @Test func aTimeBeforeTheStoredPeriodNeverRollsItBack() {
        var state = Self.proState()
        let now: Int64 = 1_773_144_000_000
        _ = state.rollPeriod(nowMillis: now, transactionId: "t1")
        let period = state.period
        // A clock read before a lock was waited for: still the stored period.
        #expect(state.rollPeriod(nowMillis: period.start * 1000 - 5_000, transactionId: "t2") == nil)
        #expect(state.period == period)
    }

    @Test func aReversalAfterADowngradeGivesBackNoMoreAllowanceThanThePlanHolds() throws {
        var state = Self.proState()
        let now: Int64 = 1_773_144_000_000
        _ = state.rollPeriod(nowMillis: now, transactionId: "t0")
        let ids = Kernel.Ids(decision: "d1", next: { _ in "n" })
        let charged = try Kernel.authorize(AuthorizeRequest(workspaceId: "w", actionType: "A", costMultiplier: Amount(units: 5)), state: state,
                                           cost: .unit, budgets: [], grants: OpenGrants([]), system: SystemBalances(), ids: ids, nowMillis: now)
        state = charged.effects.workspace
        #expect(state.allowance == Amount(units: 15))
        _ = try state.changePlan(to: Self.plans[2], nowMillis: now, transactionId: "t1")
        #expect(state.allowance == Amount(units: 5))
        let debit = try #require(charged.effects.transactions.first { $0.kind == .debit })
        let reversed = try Kernel.reverse(Kernel.Charge(transaction: debit, decision: charged.effects.decision.record), reason: "r", state: state,
                                          grants: OpenGrants([]), budgets: [], system: charged.system,
                                          ids: Kernel.Ids(decision: "d2", next: { _ in "m" }), nowMillis: now + 1)
        // The capped plan holds 10 a period; with the charge undone nothing was used.
        #expect(reversed.effects.workspace.allowance == Amount(units: 10))
        #expect(reversed.effects.workspace.periodUsed == .zero)
    }

    /// A prepaid workspace with a 10-credit grant, holding 2 credits (20 actions at 0.1).
    static func held() throws -> (WorkspaceState, OpenGrants, HoldRecord, SystemBalances) {
        var state = proState()
        state.plan = plans[0]
        let now: Int64 = 1_773_144_000_000
        _ = state.rollPeriod(nowMillis: now, transactionId: "t0")
        state.wallet = Amount(units: 10)
        let grants = OpenGrants([GrantBalance(id: "g", remaining: Amount(units: 10), expiresAt: nil)])
        let held = try Kernel.hold(AuthorizeRequest(workspaceId: "w", actionType: "A", costMultiplier: Amount(units: 20)), ttlSeconds: 60, holdId: "h",
                                   state: state, cost: .unit, budgets: [], grants: grants, system: SystemBalances(),
                                   ids: Kernel.Ids(decision: "d1", next: { _ in "n1" }), nowMillis: now)
        let hold = try #require(held.hold)
        return (held.effects.workspace, held.effects.grants ?? grants, hold, held.system)
    }

    @Test func aHoldMovesItsEstimateAsideAndACommitChargesOnlyTheActual() throws {
        let (state, grants, hold, system) = try Self.held()
        #expect(state.wallet == Amount(units: 8) && state.heldCredits == Amount(units: 2))
        #expect(hold.heldActions == Amount(units: 20) && hold.draws == [GrantDraw(grantId: "g", amount: Amount(units: 2))])
        let now: Int64 = 1_773_144_000_000 + 1_000
        let ids = Kernel.Ids(decision: "d2", next: { _ in "n2" })
        let partial = try Kernel.commitHold(hold, actualActions: Amount(units: 5), final: false, state: state, grants: grants, budgets: [],
                                            system: system, ids: ids, nowMillis: now)
        #expect(partial.hold.status == .open && partial.hold.heldCredits == Amount(micros: 1_500_000))
        #expect(partial.effects.workspace.wallet == Amount(units: 8))
        let final = try Kernel.commitHold(partial.hold, actualActions: Amount(units: 5), final: true, state: partial.effects.workspace,
                                          grants: partial.effects.grants ?? grants, budgets: [], system: partial.system,
                                          ids: Kernel.Ids(decision: "d3", next: { _ in "n3" }), nowMillis: now)
        #expect(final.hold.status == .committed && final.hold.committedCredits == Amount(units: 1))
        // 1 credit charged in all; the other back in the wallet and its grant.
        #expect(final.effects.workspace.wallet == Amount(units: 9) && final.effects.workspace.heldCredits == .zero)
        #expect(final.effects.grants?.list.first?.remaining == Amount(units: 9))
        #expect(final.effects.decision.record.kind == .commit)
        #expect(throws: TributeError.holdClosed("h")) {
            try Kernel.releaseHold(final.hold, state: final.effects.workspace, grants: grants, budgets: [], system: final.system, ids: ids, nowMillis: now)
        }
        #expect {
            try Kernel.commitHold(hold, actualActions: Amount(units: 21), final: true, state: state, grants: grants, budgets: [], system: system, ids: ids, nowMillis: now)
        } throws: { ($0 as? TributeError)?.code == "exceeds_hold" }
    }

    @Test func anExpiredHoldRefusesACommitAndAReleaseAndItsSettlementIsAnExpiry() throws {
        let (state, grants, hold, system) = try Self.held()
        let late = hold.expiresAtMillis
        let ids = Kernel.Ids(decision: "d2", next: { _ in "n2" })
        #expect(throws: TributeError.holdExpired("h")) {
            try Kernel.commitHold(hold, actualActions: Amount(units: 1), final: true, state: state, grants: grants, budgets: [], system: system, ids: ids, nowMillis: late)
        }
        #expect(throws: TributeError.holdExpired("h")) {
            try Kernel.releaseHold(hold, state: state, grants: grants, budgets: [], system: system, ids: ids, nowMillis: late)
        }
        let expired = try Kernel.settleHold(hold, state: state, grants: grants, budgets: [], system: system, ids: ids, nowMillis: late)
        #expect(expired.hold.status == .expired && expired.effects.decision.record.kind == .expiry)
        #expect(expired.effects.workspace.wallet == Amount(units: 10) && expired.effects.workspace.heldCredits == .zero)
    }

    /// SPEC §3.1: a hold's amounts are free for any call after `expiresAt`, without waiting
    /// for the sweeper: the call releases it first, as an expiry in the chain.
    @Test func aCallAfterAHoldExpiredMayUseEverythingItHeld() throws {
        let (state, grants, hold, system) = try Self.held()
        #expect(state.nextHoldExpiryAtMillis == hold.expiresAtMillis)
        let call = try Kernel.authorize(
            AuthorizeRequest(workspaceId: "w", actionType: "A", costMultiplier: Amount(units: 100)), state: state, cost: .unit,
            budgets: [], grants: grants, holds: [ExpiringHold(hold: hold, budgets: [])], system: system,
            ids: Kernel.Ids(decision: "d9", next: { "\($0)_9" }), nowMillis: hold.expiresAtMillis)
        #expect(call.answer.outcome.approved && call.answer.outcome.creditsDebited == Amount(units: 10))
        #expect(call.effects.settled.map(\.record.kind) == [.expiry])
        #expect(call.effects.holds.map(\.status) == [.expired])
        #expect(call.effects.decision.hash == call.effects.decision.record.chainHash(previous: call.effects.settled[0].hash))
        #expect(call.effects.workspace.heldCredits == .zero && call.effects.workspace.wallet == .zero)
        #expect(call.effects.workspace.nextHoldExpiryAtMillis == nil)
    }

    @Test func aCheckpointReadsBackAndRefusesEditedText() {
        let checkpoint = LedgerCheckpoint(createdAtMillis: 5, heads: [.init(workspaceId: "b", hash: String(repeating: "1", count: 64)),
                                                                       .init(workspaceId: "a", hash: String(repeating: "2", count: 64))])
        #expect(LedgerCheckpoint(text: checkpoint.text) == checkpoint)
        #expect(checkpoint.heads.map(\.workspaceId) == ["a", "b"])
        let edited = checkpoint.text.replacingOccurrences(of: "a 2", with: "a 3")
        #expect(LedgerCheckpoint.proven(digest: checkpoint.digest, text: edited).failureRule == .checkpointAltered)
        #expect(LedgerCheckpoint.proven(digest: checkpoint.digest, text: nil).failureRule == .checkpointMissing)
    }

    @Test func anExplanationReadsBackExactly() {
        let explanation = ChargeExplanation(
            baseCost: Amount(micros: 1_500_000), costMultiplier: Amount(units: 3), grants: [GrantDraw(grantId: "g", amount: Amount(micros: 7))],
            budgets: [.init(scope: BudgetScope(kind: .run, id: "r:1"), unit: .credits, period: .month, limit: Amount(units: 9), usedBefore: Amount(units: 2))],
            reverses: "txn_1", note: "why \"quoted\"")
        for charged in [Amount(micros: 1_500_000), Amount(units: 4)] {
            let text = explanation.encoded(actionsCharged: charged)
            #expect(ChargeExplanation(decoding: text, actionsCharged: charged) == explanation)
            #expect(text == explanation.jsonValue(actionsCharged: charged).serialized)
        }
        // A base cost equal to the charge is the row's, not written again.
        #expect(!explanation.encoded(actionsCharged: Amount(micros: 1_500_000)).contains("\"b\""))
        let bare = ChargeExplanation(baseCost: .zero, costMultiplier: .one)
        #expect(bare.encoded(actionsCharged: .zero) == "{}")
        #expect(bare.encoded(actionsCharged: .one) == bare.jsonValue(actionsCharged: .one).serialized)
        #expect(ChargeExplanation(decoding: "{}", actionsCharged: .zero) == bare)
        #expect(ChargeExplanation(decoding: "[]", actionsCharged: .one) == nil)
        #expect(ChargeExplanation(decoding: "{\"b\":\"1\"}", actionsCharged: .one) == nil)
    }
}

/// Ids for the kernel's rare transactions, unique within a test.
final class Counter: @unchecked Sendable {
    private let lock = Lock()
    private var value: Int

    init(start: Int) { value = start }

    func next(_ prefix: String) -> String {
        lock.withLock {
            value += 1
            return "\(prefix)_extra_\(value)"
        }
    }
}

extension Result where Failure == LedgerViolation {
    var failureRule: LedgerRule? { if case .failure(let violation) = self { violation.rule } else { nil } }
}

extension ActionCost {
    /// One action a call, version 1: the cost the kernel's tests price at.
    static let unit = ActionCost(actionType: "A", baseCost: Amount(units: 1), version: 1, updatedAt: 0)
}
