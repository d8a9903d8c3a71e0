import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// Statements on every backend (SPEC §3.9, docs/credits.md): built from the ledger's rows,
/// reconciled by category, numbered and written once, a late reversal on the next one, and
/// an edited row caught by `ledger verify`.
@Suite struct StatementConformanceTests {
    static let everyone = HoldConformanceTests.everyone

    static func debit(_ store: any TributeStore, multiplier: Amount = .one) async throws -> AuthorizeOutcome {
        try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: multiplier), idempotency: nil)
    }

    static func body(_ stored: StoredStatement) throws -> [String: JSON] {
        try #require(try JSON.parse(Array(stored.body.utf8)).objectValue)
    }

    static func credits(_ object: JSON?, _ category: GrantCategory) -> Amount {
        guard case .number(let text)? = object?.objectValue?["byCategory"]?.objectValue?[category.rawValue] else { return Amount(units: -999_999) }
        return (try? Amount.parse(text)) ?? Amount(units: -999_999)
    }

    /// A period with a purchase, a promotional grant spent first, a hold open across an
    /// expiry, a reversal, a refund: the statement reconciles by category and to the
    /// workspace's own balance, and is written once.
    @Test(arguments: Backend.allCases)
    func aPeriodsStatementReconcilesByCategoryAndIsWrittenOnce(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        let view = try await store.makeWorkspace("w", plan: "prepaid")
        let purchase = try await PaymentConformanceTests.pending(store, intent: "pi_statement_\(backend)")
        _ = try await store.applyPayment(PaymentConformanceTests.paid(purchase))
        let promo = try await store.grantCredits(workspaceId: "w", grant: CreditGrantDraft(
            amount: Amount(units: 50), expiresAt: clock.nowMillis() + 5 * 86_400_000, note: "welcome", priority: 10))
        // 300 calls at 0.1 credits: 30 from the promotional grant, spent first.
        var first: String?
        for _ in 0..<300 {
            let outcome = try await Self.debit(store)
            if first == nil, case .string(let id)? = field(outcome.body, "transactionId") { first = id }
        }
        guard let holdId = try await HoldConformanceTests.hold(store, multiplier: Amount(units: 100), ttlSeconds: 86_400).holdId else { Issue.record("no hold"); return }
        _ = try await store.reverseTransaction(id: try #require(first), reason: "a retry charged twice")
        clock.advance(seconds: 6 * 86_400)
        // The hold and the grant expired: the next call settles the hold, whose 10 credits
        // go back to the expired grant and lapse with the 10.1 it had left.
        #expect(try await Self.debit(store).approved)
        #expect(try await store.hold(id: holdId, canAccess: Self.everyone).status == .expired)
        _ = try await store.applyPayment(.refunded(paymentIntentId: try #require(purchase.paymentIntentId), refundedTotalCents: 500))
        #expect(try await store.statements(workspaceId: "w").isEmpty, "the period is open")
        await #expect(throws: TributeError.statementNotFound("1")) { try await store.statement(workspaceId: "w", number: 1) }

        // A live statement of the whole life closes on what the workspace owns now.
        let live = try await store.statement(workspaceId: "w", fromMillis: view.createdAtMillis, toMillis: clock.nowMillis() + 1_000)
        #expect(live.closing[.paid] == Amount(micros: 49_900_000) && live.closing[.promotional] == .zero)

        clock.set(millis: view.period.end * 1000 + 300_000)
        let statements = try await store.statements(workspaceId: "w")
        #expect(statements.map(\.number) == [1])
        let stored = try #require(statements.first)
        #expect(stored.fromMillis == view.period.start * 1000 && stored.toMillis == view.period.end * 1000)
        let body = try Self.body(stored)
        #expect(Self.credits(body["opening"], .paid) == .zero && Self.credits(body["opening"], .promotional) == .zero)
        #expect(Self.credits(body["closing"], .paid) == Amount(micros: 49_900_000) && Self.credits(body["closing"], .promotional) == .zero)
        let movements = try #require(body["movements"]?.arrayValue).compactMap(\.objectValue)
        func sum(_ kind: String, _ category: GrantCategory) -> Amount {
            movements.filter { $0["kind"] == .string(kind) && $0["category"] == .string(category.rawValue) }
                .reduce(Amount.zero) { total, movement in
                    guard case .number(let text)? = movement["credits"], let amount = try? Amount.parse(text) else { return total }
                    return total + amount
                }
        }
        #expect(sum("grant", .paid) == Amount(units: 100) && sum("grant", .promotional) == Amount(units: 50))
        #expect(sum("usage", .promotional) == Amount(units: -30) && sum("usage", .paid) == Amount(micros: -100_000))
        #expect(sum("reversal", .promotional) == Amount(micros: 100_000))
        #expect(sum("expiry", .promotional) == Amount(micros: -20_100_000))
        #expect(sum("refund", .paid) == Amount(units: -50))
        let bought = try #require(movements.first { $0["purchase"] != nil }?["purchase"]?.objectValue)
        #expect(bought["packageId"] == .string("starter") && bought["amountCents"] == .number("1000") && bought["paymentIntentId"] == .string("pi_statement_\(backend)"))
        let usage = try #require(body["usage"]?.objectValue)
        #expect(usage["calls"] == .number("301") && usage["paidCredits"] == .number("0.1") && usage["promotionalCredits"] == .number("30"))
        #expect(body["holdsOpen"]?.arrayValue?.isEmpty == true)
        #expect(body["chain"]?.objectValue?["headHash"]?.stringValue?.count == 64)
        // Written once: the same statement, however often and however asked for.
        #expect(try await store.statements(workspaceId: "w") == statements)
        #expect(try await store.statement(workspaceId: "w", number: 1) == stored)
        await #expect(throws: TributeError.statementNotFound("2")) { try await store.statement(workspaceId: "w", number: 2) }
        // The same range on demand: the same figures, the same digest each time.
        let again = try await store.statement(workspaceId: "w", fromMillis: stored.fromMillis, toMillis: stored.toMillis)
        #expect(again.closing == live.closing && again.movements.count == movements.count)
        #expect(try await store.statement(workspaceId: "w", fromMillis: stored.fromMillis, toMillis: stored.toMillis).digest == again.digest)
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func aLateReversalLandsOnTheNextStatementAsAnAdjustment(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        let view = try await store.makeWorkspace("w", credits: Amount(units: 10))
        guard case .string(let charge)? = field(try await Self.debit(store).body, "transactionId") else { Issue.record("no charge"); return }
        clock.set(millis: view.period.end * 1000 + 300_000)
        let first = try #require(try await store.statements(workspaceId: "w").first)
        _ = try await store.reverseTransaction(id: charge, reason: "late")
        let next = BillingPeriod.containing(view.period.end, anchor: view.anchorDate)
        clock.set(millis: next.end * 1000 + 300_000)
        let statements = try await store.statements(workspaceId: "w")
        #expect(statements.count == 2 && statements.first == first, "the first statement never changes")
        let second = try Self.body(statements[1])
        #expect(second["opening"] == (try Self.body(first))["closing"])
        let reversal = try #require(second["movements"]?.arrayValue?.compactMap(\.objectValue).first { $0["kind"] == .string("reversal") })
        #expect(reversal["adjustment"] == .bool(true) && reversal["credits"] == .number("0.1"))
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func anEditedRowOfACutStatementIsCaughtByVerify(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        let view = try await store.makeWorkspace("w", credits: Amount(units: 10))
        #expect(try await Self.debit(store).approved)
        clock.set(millis: view.period.end * 1000 + 300_000)
        #expect(try await store.statements(workspaceId: "w").count == 1)
        #expect(try await store.verifyLedger().firstViolation == nil)
        // The grant moved out of the period: no other rule sees it; the statement does.
        let later = (view.period.end + 86_400) * 1000
        try await Tampering.apply(store, sqlite: ["UPDATE credit_grants SET created_at = \(later)"], postgres: "UPDATE credit_grants SET created_at = \(later)")
        let report = try await store.verifyLedger()
        #expect(report.violation?.rule == .statementMismatch, "\(String(describing: report.firstViolation))")
    }

    /// The sweeper records a grant's expiry in a workspace no call touches, so that the
    /// statement of its period shows it there.
    @Test(arguments: Backend.allCases)
    func theSweeperExpiresGrantsOfIdleWorkspacesInTheirPeriod(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        let view = try await store.makeWorkspace("w")
        _ = try await store.grantCredits(workspaceId: "w", grant: CreditGrantDraft(amount: Amount(units: 7), expiresAt: clock.nowMillis() + 86_400_000, note: nil))
        #expect(try await store.closePeriods(limit: 10) == 0)
        clock.advance(seconds: 2 * 86_400)
        #expect(try await store.closePeriods(limit: 10) == 1)
        #expect(try await store.closePeriods(limit: 10) == 0, "settled")
        let kinds = try await store.transactions(workspaceId: "w", limit: 10, cursor: nil).items.map(\.kind)
        #expect(kinds.contains(LedgerTransaction.Kind.grantExpiry.rawValue))
        clock.set(millis: view.period.end * 1000 + 300_000)
        let body = try Self.body(try #require(try await store.statements(workspaceId: "w").first))
        let expiry = try #require(body["movements"]?.arrayValue?.compactMap(\.objectValue).first { $0["kind"] == .string("expiry") })
        #expect(expiry["credits"] == .number("-7") && expiry["category"] == .string("promotional"))
        _ = try await store.expectLedgerHolds()
    }
}
