import GRDB
import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// One tamper table for every backend: each edit a person with database access could make,
/// and the rule `ledger verify` must name for it.
@Suite struct TamperConformanceTests {
    struct Tamper: Sendable, CustomStringConvertible {
        var description: String
        var rule: LedgerRule
        var sqlite: [String]
        var postgres: String
    }

    /// The newest row of `transactions` of workspace `w` (its grant): a debit has none, its
    /// decision carries its transfer (`DecisionTransfer`).
    static let newestTransaction = "(SELECT id FROM transactions WHERE workspace_id = 'w' ORDER BY seq DESC LIMIT 1)"
    /// The reversal of workspace `v`: a transaction of rows that its decision names.
    static let reversal = "(SELECT transaction_id FROM decisions WHERE workspace_seq = (SELECT seq FROM workspaces WHERE id = 'v') AND reason = 'REVERSED')"
    /// The newest debit of workspace `w`: one decision row.
    static let newestDebitDecision = "(SELECT MAX(seq) FROM decisions WHERE workspace_seq = (SELECT seq FROM workspaces WHERE id = 'w') AND debit_micros > 0)"
    /// Decisions of `w` that move nothing.
    static let movingNothing = "workspace_seq = (SELECT seq FROM workspaces WHERE id = 'w') AND debit_micros = 0 AND from_allowance_micros = 0"

    static let cases: [Tamper] = [
        Tamper(description: "an edited posting amount", rule: .unbalancedTransaction,
               sqlite: ["UPDATE postings SET amount_micros = amount_micros - 1 WHERE transaction_seq = (SELECT seq FROM transactions WHERE id = \(newestTransaction))"],
               postgres: "UPDATE postings SET amount_micros = amount_micros - 1 WHERE transaction_id = \(newestTransaction)"),
        Tamper(description: "an edited balance", rule: .balanceMismatch,
               sqlite: ["UPDATE accounts SET balance_micros = balance_micros + 5 WHERE id = 'workspace:w:wallet'"],
               postgres: "UPDATE accounts SET balance_micros = balance_micros + 5 WHERE id = 'workspace:w:wallet'"),
        Tamper(description: "the newest decision deleted", rule: .chainHeadMismatch,
               sqlite: ["DELETE FROM decisions WHERE seq = (SELECT MAX(seq) FROM decisions WHERE \(movingNothing))"],
               postgres: "DELETE FROM decisions WHERE seq = (SELECT MAX(seq) FROM decisions WHERE \(movingNothing))"),
        Tamper(description: "a middle decision deleted", rule: .chainBroken,
               sqlite: ["DELETE FROM decisions WHERE seq = (SELECT MIN(seq) FROM decisions WHERE \(movingNothing))"],
               postgres: "DELETE FROM decisions WHERE seq = (SELECT MIN(seq) FROM decisions WHERE \(movingNothing))"),
        // A debit is one row: deleting it takes its money movement with it.
        Tamper(description: "a debit's decision deleted", rule: .balanceMismatch,
               sqlite: ["DELETE FROM decisions WHERE seq = \(newestDebitDecision)"],
               postgres: "DELETE FROM decisions WHERE seq = \(newestDebitDecision)"),
        // A debit's amount doubled where it is kept, with the wallet, revenue and the grant
        // moved to match: every balance still equals its postings; the chain says otherwise.
        Tamper(description: "a debit's amount doubled, balances and grant to match", rule: .chainBroken,
               sqlite: ["UPDATE decisions SET debit_micros = debit_micros * 2 WHERE seq = \(newestDebitDecision)",
                        "UPDATE accounts SET balance_micros = balance_micros - 100000 WHERE id = 'workspace:w:wallet'",
                        "UPDATE accounts SET balance_micros = balance_micros + 100000 WHERE id = 'system:revenue'",
                        "UPDATE credit_grants SET remaining_micros = remaining_micros - 100000 WHERE workspace_id = 'w'"],
               postgres: """
                   DO $$ BEGIN
                   UPDATE decisions SET debit_micros = debit_micros * 2 WHERE seq = \(newestDebitDecision);
                   UPDATE accounts SET balance_micros = balance_micros - 100000 WHERE id = 'workspace:w:wallet';
                   UPDATE system_balance_shards SET balance_micros = balance_micros + 100000
                       WHERE account_id = 'system:revenue' AND shard = (SELECT MIN(shard) FROM system_balance_shards WHERE account_id = 'system:revenue');
                   UPDATE credit_grants SET remaining_micros = remaining_micros - 100000 WHERE workspace_id = 'w';
                   END $$
                   """),
        // A carried transfer's id is derived, never stored: a decision that names a
        // transaction claims rows of its own.
        Tamper(description: "a debit's decision made to name a transaction", rule: .missingTransaction,
               sqlite: ["UPDATE decisions SET transaction_id = 'txn_ghost' WHERE seq = \(newestDebitDecision)"],
               postgres: "UPDATE decisions SET transaction_id = 'txn_ghost' WHERE seq = \(newestDebitDecision)"),
        Tamper(description: "a reversal's transaction deleted with its postings", rule: .missingTransaction,
               sqlite: ["DELETE FROM postings WHERE transaction_seq = (SELECT seq FROM transactions WHERE id = \(reversal))",
                        "DELETE FROM transactions WHERE id = \(reversal)"],
               postgres: "WITH p AS (DELETE FROM postings WHERE transaction_id = \(reversal)) DELETE FROM transactions WHERE id = \(reversal)"),
        // Only carried transfers move `system:usage` here (f's debit from its allowance).
        Tamper(description: "an account only carried transfers move, deleted", rule: .danglingReference,
               sqlite: ["DELETE FROM accounts WHERE id = 'system:usage'"],
               postgres: "WITH s AS (DELETE FROM system_balance_shards WHERE account_id = 'system:usage') DELETE FROM accounts WHERE id = 'system:usage'"),
        Tamper(description: "an orphan posting", rule: .danglingReference,
               sqlite: ["INSERT INTO postings (transaction_seq, account_id, unit, amount_micros) VALUES (999999, 'workspace:w:wallet', 'credits', 1)"],
               postgres: "INSERT INTO postings (transaction_id, ordinal, account_id, unit, amount_micros) VALUES ('txn_ghost', 0, 'workspace:w:wallet', 'credits', 1)"),
        Tamper(description: "an edited decision field", rule: .chainBroken,
               sqlite: ["UPDATE decisions SET user_id = 'mallory' WHERE seq = (SELECT MIN(seq) FROM decisions WHERE workspace_seq = (SELECT seq FROM workspaces WHERE id = 'w'))"],
               postgres: "UPDATE decisions SET user_id = 'mallory' WHERE seq = (SELECT MIN(seq) FROM decisions WHERE workspace_seq = (SELECT seq FROM workspaces WHERE id = 'w'))"),
        // A decision names its workspace by the workspace's number, which the chain covers
        // as the workspace's id.
        Tamper(description: "a decision moved to another workspace", rule: .chainBroken,
               sqlite: ["UPDATE decisions SET workspace_seq = (SELECT seq FROM workspaces WHERE id = 'v') WHERE seq = (SELECT MIN(seq) FROM decisions WHERE \(movingNothing))"],
               postgres: "UPDATE decisions SET workspace_seq = (SELECT seq FROM workspaces WHERE id = 'v') WHERE seq = (SELECT MIN(seq) FROM decisions WHERE \(movingNothing))"),
        Tamper(description: "a decision moved to no workspace", rule: .chainBroken,
               sqlite: ["UPDATE decisions SET workspace_seq = 999999 WHERE seq = (SELECT MIN(seq) FROM decisions WHERE \(movingNothing))"],
               postgres: "UPDATE decisions SET workspace_seq = 999999 WHERE seq = (SELECT MIN(seq) FROM decisions WHERE \(movingNothing))"),
        Tamper(description: "a reversal's link to its decision edited", rule: .missingTransaction,
               sqlite: ["UPDATE transactions SET decision_id = 'dec_ghost' WHERE id = \(reversal)"],
               postgres: "UPDATE transactions SET decision_id = 'dec_ghost' WHERE id = \(reversal)"),
        // A second transaction claiming a debit's decision, balanced and with balances to
        // match: a decision has one transaction.
        Tamper(description: "a transaction added to a debit's decision", rule: .decisionMismatch,
               sqlite: ["INSERT INTO transactions (id, workspace_id, kind, decision_id, created_at) SELECT 'txn_extra', 'w', 'debit', id, 0 FROM decisions WHERE seq = \(newestDebitDecision)",
                        """
                        INSERT INTO postings (transaction_seq, account_id, unit, amount_micros) VALUES
                            ((SELECT seq FROM transactions WHERE id = 'txn_extra'), 'workspace:w:wallet', 'credits', -100000),
                            ((SELECT seq FROM transactions WHERE id = 'txn_extra'), 'system:revenue', 'credits', 100000)
                        """,
                        "UPDATE accounts SET balance_micros = balance_micros - 100000 WHERE id = 'workspace:w:wallet'",
                        "UPDATE accounts SET balance_micros = balance_micros + 100000 WHERE id = 'system:revenue'",
                        "UPDATE credit_grants SET remaining_micros = remaining_micros - 100000 WHERE workspace_id = 'w'"],
               postgres: """
                   DO $$ BEGIN
                   INSERT INTO transactions (id, workspace_id, kind, decision_id, created_at) SELECT 'txn_extra', 'w', 'debit', id, 0 FROM decisions WHERE seq = \(newestDebitDecision);
                   INSERT INTO postings (transaction_id, ordinal, account_id, unit, amount_micros) VALUES
                       ('txn_extra', 0, 'workspace:w:wallet', 'credits', -100000), ('txn_extra', 1, 'system:revenue', 'credits', 100000);
                   UPDATE accounts SET balance_micros = balance_micros - 100000 WHERE id = 'workspace:w:wallet';
                   UPDATE system_balance_shards SET balance_micros = balance_micros + 100000
                       WHERE account_id = 'system:revenue' AND shard = (SELECT MIN(shard) FROM system_balance_shards WHERE account_id = 'system:revenue');
                   UPDATE credit_grants SET remaining_micros = remaining_micros - 100000 WHERE workspace_id = 'w';
                   END $$
                   """),
        Tamper(description: "a reversal's link to its charge cleared", rule: .reversalMismatch,
               sqlite: ["UPDATE transactions SET reverses = NULL WHERE kind = 'reversal'"],
               postgres: "UPDATE transactions SET reverses = NULL WHERE kind = 'reversal'"),
        Tamper(description: "two decisions reordered", rule: .chainBroken,
               sqlite: ["CREATE TEMP TABLE pair AS SELECT MIN(seq) AS a, MAX(seq) AS b FROM (SELECT seq FROM decisions WHERE workspace_seq = (SELECT seq FROM workspaces WHERE id = 'w') ORDER BY seq LIMIT 2)",
                        "UPDATE decisions SET seq = -1 WHERE seq = (SELECT a FROM pair)",
                        "UPDATE decisions SET seq = (SELECT a FROM pair) WHERE seq = (SELECT b FROM pair)",
                        "UPDATE decisions SET seq = (SELECT b FROM pair) WHERE seq = -1"],
               postgres: """
                   DO $$ DECLARE a bigint; b bigint; BEGIN
                   SELECT MIN(seq), MAX(seq) INTO a, b FROM (SELECT seq FROM decisions WHERE workspace_seq = (SELECT seq FROM workspaces WHERE id = 'w') ORDER BY seq LIMIT 2) t;
                   UPDATE decisions SET seq = -1 WHERE seq = a; UPDATE decisions SET seq = a WHERE seq = b; UPDATE decisions SET seq = b WHERE seq = -1;
                   END $$
                   """),
        // A reversal's postings doubled, with the wallet, revenue and the grant moved to
        // match: every balance still equals its postings; only the decision says otherwise.
        Tamper(description: "a reversal's postings doubled, balances and grant to match", rule: .decisionMismatch,
               sqlite: ["UPDATE postings SET amount_micros = amount_micros * 2 WHERE transaction_seq = (SELECT seq FROM transactions WHERE id = \(reversal))",
                        "UPDATE accounts SET balance_micros = balance_micros + 100000 WHERE id = 'workspace:v:wallet'",
                        "UPDATE accounts SET balance_micros = balance_micros - 100000 WHERE id = 'system:revenue'",
                        "UPDATE credit_grants SET remaining_micros = remaining_micros + 100000 WHERE workspace_id = 'v'"],
               postgres: """
                   DO $$ BEGIN
                   UPDATE postings SET amount_micros = amount_micros * 2 WHERE transaction_id = \(reversal);
                   UPDATE accounts SET balance_micros = balance_micros + 100000 WHERE id = 'workspace:v:wallet';
                   UPDATE system_balance_shards SET balance_micros = balance_micros - 100000
                       WHERE account_id = 'system:revenue' AND shard = (SELECT MIN(shard) FROM system_balance_shards WHERE account_id = 'system:revenue');
                   UPDATE credit_grants SET remaining_micros = remaining_micros + 100000 WHERE workspace_id = 'v';
                   END $$
                   """),
        // A hold's final commit whose explanation is no longer JSON: the legs it carries
        // cannot be read, and verify names the balances they leave, not a database error.
        Tamper(description: "a commit's explanation made unreadable", rule: .balanceMismatch,
               sqlite: ["UPDATE decisions SET explanation = replace(explanation, '\"x\":[', '\"x\":[[') WHERE workspace_seq = (SELECT seq FROM workspaces WHERE id = 'h') AND kind = 'commit'"],
               postgres: "UPDATE decisions SET explanation = replace(explanation, '\"x\":[', '\"x\":[[') WHERE workspace_seq = (SELECT seq FROM workspaces WHERE id = 'h') AND kind = 'commit'"),
        // Allowance the plan never gave, issued by a balanced transaction: what a release that
        // ignored a downgrade left behind before the kernel kept the plan rule.
        Tamper(description: "allowance past the plan, balanced", rule: .allowanceOverPlan,
               sqlite: ["INSERT INTO transactions (id, workspace_id, kind, decision_id, created_at) VALUES ('txn_gift', 'f', 'allowance_reset', NULL, 0)",
                        """
                        INSERT INTO postings (transaction_seq, account_id, unit, amount_micros) VALUES
                            ((SELECT seq FROM transactions WHERE id = 'txn_gift'), 'workspace:f:allowance', 'actions', 500000000),
                            ((SELECT seq FROM transactions WHERE id = 'txn_gift'), 'system:allowance_issued', 'actions', -500000000)
                        """,
                        "UPDATE accounts SET balance_micros = balance_micros + 500000000 WHERE id = 'workspace:f:allowance'",
                        "UPDATE accounts SET balance_micros = balance_micros - 500000000 WHERE id = 'system:allowance_issued'"],
               postgres: """
                   DO $$ BEGIN
                   INSERT INTO transactions (id, workspace_id, kind, decision_id, created_at) VALUES ('txn_gift', 'f', 'allowance_reset', NULL, 0);
                   INSERT INTO postings (transaction_id, ordinal, account_id, unit, amount_micros) VALUES
                       ('txn_gift', 0, 'workspace:f:allowance', 'actions', 500000000), ('txn_gift', 1, 'system:allowance_issued', 'actions', -500000000);
                   UPDATE accounts SET balance_micros = balance_micros + 500000000 WHERE id = 'workspace:f:allowance';
                   UPDATE system_balance_shards SET balance_micros = balance_micros - 500000000
                       WHERE account_id = 'system:allowance_issued' AND shard = (SELECT MIN(shard) FROM system_balance_shards WHERE account_id = 'system:allowance_issued');
                   END $$
                   """),
    ]

    @Test(arguments: Backend.allCases, cases)
    func ledgerVerifyNamesTheRuleATamperBreaks(backend: Backend, tamper: Tamper) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 5))
        try await store.makeWorkspace("v", credits: Amount(units: 5))
        // A workspace with allowance (the free plan's 1,000 actions), one of them used.
        try await store.makeWorkspace("f", plan: "free")
        _ = try await store.authorize(AuthorizeRequest(workspaceId: "f", actionType: "SIMPLE_LLM"), idempotency: nil)
        _ = try await store.setActionCost(actionType: "FREE_LOOKUP", baseCost: .zero)
        for index in 0..<4 {
            // Decisions of two workspaces interleave, so that every chain is its own.
            _ = try await store.authorize(AuthorizeRequest(workspaceId: "v", actionType: "SIMPLE_LLM", userId: "u"), idempotency: nil)
            _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", userId: "u\(index)"), idempotency: nil)
            // A decision in the middle of w's chain that moves nothing.
            if index == 1 { _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "FREE_LOOKUP"), idempotency: nil) }
        }
        // A hold committed for less than it held, in a workspace of its own: the commit's
        // decision carries what it gave back.
        try await store.makeWorkspace("h", credits: Amount(units: 5))
        let (_, holdId) = try await HoldConformanceTests.hold(store, "h", multiplier: Amount(units: 3))
        _ = try await HoldConformanceTests.commit(store, try #require(holdId), .actions(Amount(units: 2)))
        // A reversal in v's chain, so that its link can be tampered with.
        let charged = try await store.transactions(workspaceId: "v", limit: 1, cursor: nil).items[0].id
        _ = try await store.reverseTransaction(id: charged, reason: "test")
        // The newest decision of w moves nothing: deleting it leaves every balance whole.
        _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "FREE_LOOKUP"), idempotency: nil)
        _ = try await store.expectLedgerHolds()
        try await Tampering.apply(store, sqlite: tamper.sqlite, postgres: tamper.postgres)
        let report = try await store.verifyLedger()
        #expect(report.violation?.rule == tamper.rule, "\(report.violation?.description ?? "no violation")")
    }
}

/// `allowance_over_plan` and plan edits (`PUT /v1/plans`): an edit of a plan's allowance
/// takes effect at each workspace's next issue, so until then the audit does not compare
/// with it; an edit of anything else leaves the audit on.
@Suite struct PlanEditAuditConformanceTests {
    static let tamper = TamperConformanceTests.cases.first { $0.rule == .allowanceOverPlan }!

    static func freeWorkspaceWithADebit(_ backend: Backend) async throws -> any TributeStore {
        let (store, clock) = try await backend.makeStore()
        clock.advance(seconds: 60)
        try await store.makeWorkspace("f", plan: "free")
        _ = try await store.authorize(AuthorizeRequest(workspaceId: "f", actionType: "SIMPLE_LLM"), idempotency: nil)
        clock.advance(seconds: 60)
        return store
    }

    @Test(arguments: Backend.allCases)
    func aPriceEditKeepsTheAllowanceAuditOn(backend: Backend) async throws {
        let store = try await Self.freeWorkspaceWithADebit(backend)
        var free = try #require(try await store.plans().first { $0.id == "free" })
        free.priceCents += 100
        _ = try await store.putPlan(free)
        _ = try await store.expectLedgerHolds()
        try await Tampering.apply(store, sqlite: Self.tamper.sqlite, postgres: Self.tamper.postgres)
        #expect(try await store.verifyLedger().violation?.rule == .allowanceOverPlan)
    }

    @Test(arguments: Backend.allCases)
    func anAllowanceEditIsCheckedFromTheNextIssue(backend: Backend) async throws {
        let store = try await Self.freeWorkspaceWithADebit(backend)
        var free = try #require(try await store.plans().first { $0.id == "free" })
        // 999 actions left on a plan now granting 500: the edit applies from the next period.
        free.monthlyAllowance = Amount(units: 500)
        _ = try await store.putPlan(free)
        _ = try await store.expectLedgerHolds()
        // A plan change issues again: from then on the plan's new allowance is the rule.
        _ = try await store.updateWorkspace(id: "f", patch: WorkspacePatch(planId: "pro", status: nil, name: nil))
        _ = try await store.updateWorkspace(id: "f", patch: WorkspacePatch(planId: "free", status: nil, name: nil))
        #expect(try await store.workspace(id: "f").remainingAllowance == Amount(units: 499))
        _ = try await store.expectLedgerHolds()
    }
}

/// Raw edits past the store, as a person with database access makes them: on SQLite with
/// its own connection and foreign keys off (the `sqlite3` shell's default).
enum Tampering {
    static func apply(_ store: any TributeStore, sqlite: [String], postgres: String) async throws {
        if let store = store as? SQLiteStore {
            var configuration = Configuration()
            configuration.foreignKeysEnabled = false
            let queue = try DatabaseQueue(path: store.path, configuration: configuration)
            try await queue.write { db in
                for statement in sqlite { try db.execute(sql: statement) }
            }
            try queue.close()
        } else if let store = store as? PostgresStore {
            try await store.executeUnchecked(sql: postgres)
        }
    }
}
