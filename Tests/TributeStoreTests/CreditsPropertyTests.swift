import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// Issue 25's property, on every backend: random grants (every category, priority, cost
/// and expiry), purchases, debits, holds, commits, releases, reversals, refunds, clock
/// moves and period closes on a rollover plan, then:
/// - every draw follows the one total order: no grant before a drawn one in `GrantOrder`
///   has credits left after the draw;
/// - every statement reconciles (built with its check), each opens on the one before's
///   closing, a live one closes on what the workspace owns, and `ledger verify` (which
///   rebuilds every statement) passes;
/// - the revenue identity holds to the cent over consecutive ranges, which chain.
///
/// 100,000 operations on SQLite; 6,000 on PostgreSQL, where each is a round trip to a
/// server on the same two cores.
@Suite struct CreditsPropertyTests {
    static let everyone = HoldConformanceTests.everyone
    static let plan = Plan(id: "roll", name: "Rollover", monthlyAllowance: Amount(units: 40), overagePolicy: .credits, overageRate: Amount(micros: 100_000),
                           priceCents: 0, rollover: RolloverTerms(fraction: Amount(micros: 500_000), maxCarry: Amount(units: 30), expiresAfterPeriods: 2))
    static let workspaces = ["w1", "w2"]

    struct Run {
        var rng: SplitMix64
        var openHolds: [(workspace: String, id: String)] = []
        var charges: [String] = []
        var purchases: [(id: String, intent: String, refundedCents: Int64)] = []
        var orderChecks = 0
        var counts: [String: Int] = [:]

        mutating func pick<T>(_ items: [T]) -> T { items[Int(rng.next(below: UInt64(items.count)))] }
        mutating func amount(units range: ClosedRange<Int64>) -> Amount {
            Amount(units: range.lowerBound + Int64(rng.next(below: UInt64(range.upperBound - range.lowerBound + 1))))
        }
    }

    @Test(arguments: Backend.allCases)
    func drawsFollowTheOrderStatementsReconcileAndRevenueAddsUp(backend: Backend) async throws {
        let operations = backend == .sqlite ? 100_000 : 6_000
        let (store, clock) = try await backend.makeStore()
        _ = try await store.putPlan(Self.plan)
        for id in Self.workspaces { _ = try await store.createWorkspace(WorkspaceDraft(id: id, name: id, planId: Self.plan.id, anchorDate: CivilDate(year: 2026, month: 1, day: 31))) }
        let startMillis = clock.nowMillis()
        var run = Run(rng: SplitMix64(seed: 25))
        for step in 0..<operations {
            try await Self.step(store, clock, &run, checkOrder: step % 100 == 0)
        }
        #expect(run.orderChecks > operations / 400, "checked \(run.orderChecks) draws; \(run.counts)")
        #expect(run.counts["debit", default: 0] > operations / 3 && run.counts["reversal", default: 0] > 10 && run.counts["refund", default: 0] > 3, "\(run.counts)")

        // Statements: each period's, chained; a live one to now.
        clock.advance(seconds: 3_600)
        for id in Self.workspaces {
            let statements = try await store.statements(workspaceId: id)
            #expect(statements.count >= 2, "\(id): \(statements.count) statements")
            var previous: JSON?
            for stored in statements {
                let body = try #require(try JSON.parse(Array(stored.body.utf8)).objectValue)
                if let previous { #expect(body["opening"] == previous, "\(id) statement \(stored.number) opens where the one before closed") }
                previous = body["closing"]
            }
            let lastTo = statements.last?.toMillis ?? startMillis
            let live = try await store.statement(workspaceId: id, fromMillis: lastTo, toMillis: clock.nowMillis() + 1_000)
            let owned = try await store.workspace(id: id)
            #expect(live.closing.credits == owned.remainingBalance + owned.heldAmount)
        }
        let report = try await store.verifyLedger()
        #expect(report.firstViolation == nil, "\(report.firstViolation ?? "")")

        // Revenue over consecutive ranges: the identity in each, the ranges chained.
        let endMillis = clock.nowMillis() + 1_000
        var cuts = [startMillis - 86_400_000]
        for _ in 0..<4 { cuts.append(startMillis + Int64(run.rng.next(below: UInt64(endMillis - startMillis)))) }
        cuts.append(endMillis)
        cuts.sort()
        var closing: [String: Int64] = [:]
        var issued = Int64(0)
        for index in 0..<(cuts.count - 1) where cuts[index] < cuts[index + 1] {
            let lines = try await store.revenue(fromMillis: cuts[index], toMillis: cuts[index + 1])
            for line in lines {
                #expect(line.deferredOpeningCents + line.issuedCents - line.recognizedCents - line.breakageCents - line.refundedCents == line.deferredClosingCents, "\(line)")
                #expect(line.deferredOpeningCents == closing[line.workspaceId, default: 0], "\(line.workspaceId) opens where it closed")
                closing[line.workspaceId] = line.deferredClosingCents
                issued += line.issuedCents
            }
        }
        #expect(issued > 0)
    }

    static func step(_ store: any TributeStore, _ clock: ManualClock, _ run: inout Run, checkOrder: Bool) async throws {
        let workspace = run.pick(Self.workspaces)
        let roll = run.rng.next(below: 100)
        switch roll {
        case 0..<55:
            let multiplier = run.amount(units: 1...12)
            let request = AuthorizeRequest(workspaceId: workspace, actionType: "SIMPLE_LLM", userId: run.pick(["u1", "u2", "u3"]), agentId: run.pick(["a1", "a2"]),
                                           costMultiplier: multiplier)
            let outcome = try await store.authorize(request, idempotency: nil)
            run.counts["debit", default: 0] += 1
            if case .string(let id)? = field(outcome.body, "transactionId") { run.charges.append(id) }
            if checkOrder, outcome.approved { try await checkDraws(store, workspace, outcome, &run) }
        case 55..<63:
            let held = try await HoldConformanceTests.hold(store, workspace, multiplier: run.amount(units: 1...20), ttlSeconds: Int64(60 + run.rng.next(below: 7_200)))
            if let id = held.holdId { run.openHolds.append((workspace, id)) }
            run.counts["hold", default: 0] += 1
        case 63..<71 where !run.openHolds.isEmpty:
            let index = Int(run.rng.next(below: UInt64(run.openHolds.count)))
            let hold = run.openHolds[index]
            do {
                if run.rng.next(below: 3) == 0 {
                    _ = try await store.releaseHold(id: hold.id, canAccess: Self.everyone, idempotency: nil)
                    run.openHolds.remove(at: index)
                } else {
                    let record = try await store.hold(id: hold.id, canAccess: Self.everyone)
                    let actual = Amount(micros: Int64(run.rng.next(below: UInt64(record.heldActions.micros + 1))))
                    let final = run.rng.next(below: 2) == 0 || actual.isZero
                    let outcome = try await HoldConformanceTests.commit(store, hold.id, .actions(actual), final: final)
                    if case .string(let id)? = field(outcome.body, "transactionId") { run.charges.append(id) }
                    if final || actual == record.heldActions { run.openHolds.remove(at: index) }
                }
                run.counts["settle", default: 0] += 1
            } catch let error as TributeError where error.code == "hold_expired" || error.code == "hold_closed" {
                run.openHolds.remove(at: index)
            }
        case 71..<75 where !run.charges.isEmpty:
            let id = run.pick(run.charges)
            do {
                _ = try await store.reverseTransaction(id: id, reason: "property")
                run.counts["reversal", default: 0] += 1
            } catch let error as TributeError where error.code == "already_reversed" || error.code == "not_reversible" {}
        case 75..<76:
            let category = run.pick(GrantCategory.allCases)
            let expires: Int64? = run.rng.next(below: 3) == 0 ? nil : clock.nowMillis() + Int64(1 + run.rng.next(below: 40 * 86_400)) * 1000
            let cost = category == .paid ? Int64(run.rng.next(below: 5_000)) : 0
            _ = try await store.grantCredits(workspaceId: workspace, grant: CreditGrantDraft(
                amount: run.amount(units: 1...60), expiresAt: expires, note: nil, category: category, priority: Int(run.rng.next(below: 101)), costBasisCents: cost))
            run.counts["grant", default: 0] += 1
        case 76..<77 where run.rng.next(below: 3) == 0:
            let intent = "pi_\(run.purchases.count)_\(run.rng.next())"
            let purchase = try await PaymentConformanceTests.pending(store, workspace: workspace, package: "starter", intent: intent)
            _ = try await store.applyPayment(PaymentConformanceTests.paid(purchase))
            run.purchases.append((purchase.id, intent, 0))
            run.counts["purchase", default: 0] += 1
        case 77..<78 where !run.purchases.isEmpty:
            let index = Int(run.rng.next(below: UInt64(run.purchases.count)))
            let purchase = run.purchases[index]
            let total = purchase.refundedCents + 1 + Int64(run.rng.next(below: 400))
            let outcome = try await store.applyPayment(.refunded(paymentIntentId: purchase.intent, refundedTotalCents: total))
            if case .refunded = outcome { run.purchases[index].refundedCents = total; run.counts["refund", default: 0] += 1 }
        default:
            // Time: a minute to six hours; the sweepers' steps now and then.
            clock.advance(seconds: Int64(60 + run.rng.next(below: 6 * 3_600)))
            if run.rng.next(below: 2) == 0 { _ = try await store.closePeriods(limit: 10) }
            if run.rng.next(below: 2) == 0 { _ = try await store.expireHolds(limit: 10) }
            run.counts["time", default: 0] += 1
        }
    }

    /// No grant drawn before another in the order has credits left after the draw.
    static func checkDraws(_ store: any TributeStore, _ workspace: String, _ outcome: AuthorizeOutcome, _ run: inout Run) async throws {
        guard case .string(let decisionId)? = field(outcome.body, "decisionId"),
              let drawn = try await store.decision(workspaceId: workspace, id: decisionId).explanation?.grants, !drawn.isEmpty else { return }
        var listed: [CreditGrantView] = []
        var cursor: String?
        repeat {
            let page = try await store.grants(workspaceId: workspace, limit: 100, cursor: cursor)
            listed += page.items
            cursor = page.nextCursor
        } while cursor != nil
        let grants = listed.sorted { ($0.createdAtMillis, $0.id) < ($1.createdAtMillis, $1.id) }
        let balances = grants.map { GrantBalance(id: $0.id, remaining: $0.remaining, expiresAt: $0.expiresAtMillis, priority: $0.terms.priority,
                                                 costBasisCents: $0.terms.costBasisCents, amount: $0.amount, effectiveAtMillis: $0.terms.effectiveAtMillis) }
        for slice in drawn {
            guard let place = balances.firstIndex(where: { $0.id == slice.grantId }) else { Issue.record("drew from unknown grant \(slice.grantId)"); continue }
            for (other, balance) in balances.enumerated() where other != place && GrantOrder.precedes(balance, other, balances[place], place) {
                #expect(balance.remaining.isZero, "grant \(balance.id) precedes \(slice.grantId) in the order and still has \(balance.remaining)")
            }
        }
        run.orderChecks += 1
    }
}
