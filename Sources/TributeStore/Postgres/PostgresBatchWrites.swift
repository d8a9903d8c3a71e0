import Logging
import PostgresNIO
import TributeCore

/// Every write of one authorize batch, gathered in memory and sent as one statement whose
/// parts are data-modifying CTEs over `jsonb_to_recordset` (JSON carries nulls, which
/// PostgreSQL arrays bound from Swift cannot).
struct PostgresBatchWrites {
    let nowMillis: Int64
    private var transactions: [JSON] = []
    private var postings: [JSON] = []
    private var decisions: [JSON] = []
    private var accountDeltas: [String: Int64] = [:]
    private var systemDeltas: [String: Int64] = [:]
    private var workspaces: [JSON] = []
    private var grants: [JSON] = []
    private var budgets: [JSON] = []
    private var answeredKeys: [JSON] = []
    private var releasedKeys: [JSON] = []
    /// Holds as the last call that moved each left it, in the order first moved: one
    /// statement may write a row only once.
    private var holds: [String: HoldRecord] = [:]
    private var holdOrder: [String] = []
    /// Threshold alerts, rare: written after the batch statement, in its transaction.
    private var events: [(workspaceId: String, atMillis: Int64, events: [EventDraft])] = []
    /// Auto top-up attempts calls started, rarer still: written the same way.
    private var attempts: [AutoTopup.Start] = []
    private(set) var changedWorkspaces = Set<String>()
    private(set) var changedBudgets = Set<KeyRef>()

    init(nowMillis: Int64) { self.nowMillis = nowMillis }

    var isEmpty: Bool { decisions.isEmpty && releasedKeys.isEmpty && holds.isEmpty }

    /// The rows of one call's effects; its workspace and grants are written by `finish`,
    /// once per workspace, as the batch leaves them.
    mutating func add(_ effects: LedgerEffects) {
        changedWorkspaces.insert(effects.workspace.id)
        for transaction in effects.transactions {
            // A transfer its decision carries (`DecisionTransfer`) writes no rows; its balances move.
            if !transaction.carriedByDecision { transactions.append(.object([
                "id": .string(transaction.id), "workspace_id": .optional(transaction.workspaceId), "kind": .string(transaction.kind.rawValue),
                "decision_id": .optional(transaction.decisionId), "created_at": .int(transaction.atMillis), "reverses": .optional(transaction.reverses),
                "detail": .optional(transaction.detail),
            ])) }
            for (ordinal, posting) in transaction.postings.enumerated() {
                let account = posting.account.description
                if !transaction.carriedByDecision {
                    postings.append(.object([
                        "transaction_id": .string(transaction.id), "ordinal": .int(Int64(ordinal)), "account_id": .string(account),
                        "unit": .string(posting.unit.rawValue), "amount_micros": .int(posting.amount.micros),
                    ]))
                }
                if posting.account.workspaceId == nil {
                    systemDeltas[account, default: 0] += posting.amount.micros
                } else {
                    accountDeltas[account, default: 0] += posting.amount.micros
                }
            }
        }
        for decision in effects.decisions {
            let record = decision.record
            decisions.append(.object([
                "id": .string(record.id), "workspace_id": .string(record.workspaceId), "created_at": .int(record.createdAtMillis),
                "action_type": .string(record.actionType), "success": .bool(record.success), "reason": .string(record.reason.rawValue),
                "actions_charged_micros": .int(record.actionsCharged.micros), "from_allowance_micros": .int(record.fromAllowance.micros),
                "debit_micros": .int(record.creditsDebited.micros), "user_id": .optional(record.userId), "agent_id": .optional(record.agentId),
                "run_id": .optional(record.runId), "cost_version": .int(record.costVersion), "context": .optional(record.context),
                // Derived on reading, stored nowhere: a carried transfer's id, and the previous
                // hash (which `hash` commits to).
                "transaction_id": .optional(record.carriesTransfer ? nil : record.transactionId), "explanation": .optional(record.explanation),
                "kind": .string(record.kind.rawValue), "hash": .string(decision.hash),
            ]))
        }
        for hold in effects.holds {
            if holds.updateValue(hold, forKey: hold.id) == nil { holdOrder.append(hold.id) }
        }
        let record = effects.decision.record
        if !effects.events.isEmpty { events.append((effects.workspace.id, record.createdAtMillis, effects.events)) }
        if let start = effects.autoTopupStart { attempts.append(start) }
        for budget in effects.budgets { changedBudgets.insert(KeyRef(workspaceId: effects.workspace.id, key: budget.budget.scope.description)) }
    }

    /// The workspace row as the batch leaves it, and its grants that changed.
    mutating func finish(_ state: WorkspaceState, grants open: OpenGrants) {
        workspaces.append(.object([
            "id": .string(state.id), "period_start": .int(state.period.start), "period_end": .int(state.period.end),
            "period_used_micros": .int(state.periodUsed.micros), "next_expiry_at": state.nextExpiryAtMillis.map { .int($0) } ?? .null,
            "decision_head": .string(state.decisionHead), "next_hold_expiry_at": state.nextHoldExpiryAtMillis.map { .int($0) } ?? .null,
            "rollover": state.rollover.encoded.map { .string($0) } ?? .null,
        ]))
        for (id, remaining) in open.changed { grants.append(.object(["id": .string(id), "remaining_micros": .int(remaining.micros)])) }
    }

    mutating func budget(_ key: KeyRef, _ stored: StoredBudget) {
        budgets.append(.object([
            "workspace_id": .string(key.workspaceId), "scope": .string(key.key),
            "used_micros": .int(stored.budget.used.micros), "period_start": .int(stored.periodStart),
        ]))
    }

    mutating func answerKey(_ key: KeyRef, _ outcome: AuthorizeOutcome) {
        answeredKeys.append(.object([
            "workspace_id": .string(key.workspaceId), "key": .string(key.key), "response_body": .string(outcome.body), "approved": .bool(outcome.approved),
        ]))
    }

    /// A claimed key whose call failed: it is given back, as if never used.
    mutating func releaseKey(_ key: KeyRef) {
        releasedKeys.append(.object(["workspace_id": .string(key.workspaceId), "key": .string(key.key)]))
    }

    /// The holds written, as written.
    var writtenHolds: [HoldRecord] { holdOrder.compactMap { holds[$0] } }

    /// Sends every write in one statement.
    /// - Returns: the version (`xmin`) of every row written: the transaction's id; `nil`
    ///   when there was nothing to write.
    @discardableResult
    func execute(_ connection: PostgresConnection, logger: Logger) async throws -> String? {
        guard !isEmpty else { return nil }
        func rows(_ list: [JSON]) -> String { JSON.array(list).serialized }
        func deltas(_ map: [String: Int64]) -> String {
            rows(map.sorted { $0.key < $1.key }.filter { $0.value != 0 }.map { .object(["id": .string($0.key), "delta": .int($0.value)]) })
        }
        let statement = BatchWriteStatement(
            transactions: rows(transactions), postings: rows(postings), decisions: rows(decisions), accountDeltas: deltas(accountDeltas),
            systemDeltas: deltas(systemDeltas), shard: Int32.random(in: 0..<PostgresStore.systemShards), workspaces: rows(workspaces),
            grants: rows(grants), budgets: rows(budgets), answeredKeys: rows(answeredKeys), releasedKeys: rows(releasedKeys),
            holds: holdRows(), atMillis: nowMillis)
        var version: String?
        for try await xid in try await connection.execute(statement, logger: logger) { version = xid }
        for pending in events {
            try await PostgresStore.appendEvents(connection, workspaceId: pending.workspaceId, pending.events, atMillis: pending.atMillis)
        }
        for start in attempts {
            for statement in AutoTopupRows.open(start) { try await connection.run(statement) }
        }
        return version
    }

    /// The holds as the statement's `h` part reads them: an array per hold, of the columns
    /// of `HoldRows.values` in order. Written straight into the text, without a keyed
    /// object per hold: a commit writes its hold like a debit writes its decision.
    private func holdRows() -> String {
        var text = "["
        for (index, id) in holdOrder.enumerated() {
            guard let hold = holds[id] else { continue }
            if index > 0 { text += "," }
            text += "["
            for string in [hold.id, hold.workspaceId, hold.status.rawValue, hold.actionType] {
                JSON.writeString(string, to: &text)
                text += ","
            }
            for optional in [hold.userId, hold.agentId, hold.runId] {
                if let optional { JSON.writeString(optional, to: &text) } else { text += "null" }
                text += ","
            }
            for number in [hold.costVersion, hold.baseCost.micros, hold.overageRate.micros, hold.heldActions.micros, hold.heldAllowance.micros,
                           hold.heldCredits.micros, hold.committedActions.micros, hold.committedCredits.micros] {
                text += String(number)
                text += ","
            }
            JSON.writeString(HoldRows.encode(hold.draws), to: &text)
            text += ","
            JSON.writeString(HoldRows.encode(hold.budgets), to: &text)
            for number in [hold.periodStart, hold.createdAtMillis, hold.expiresAtMillis] {
                text += ","
                text += String(number)
            }
            text += ","
            if let rates = hold.tokenRates { JSON.writeString(rates.stored, to: &text) } else { text += "null" }
            text += "]"
        }
        return text + "]"
    }
}

/// The batch's one write, prepared once per connection: its text never changes, so
/// PostgreSQL parses and plans it once instead of once per batch. The rows that update or
/// delete by key come through `tribute_batch_rows` (migration `v11_batch_rows`), which
/// tells the planner to expect a handful: from `jsonb_to_recordset` it expects 100, and
/// then scanned whole tables of accounts, workspaces and grants in every batch.
struct BatchWriteStatement: PostgresPreparedStatement {
    /// The transaction's id, as the `xmin` of the rows it wrote reads.
    typealias Row = String
    let transactions: String, postings: String, decisions: String, accountDeltas: String, systemDeltas: String
    /// A shard per batch spreads the system accounts' balance rows across batches.
    let shard: Int32
    let workspaces: String, grants: String, budgets: String, answeredKeys: String, releasedKeys: String
    let holds: String
    /// When the holds were written (`updated_at`).
    let atMillis: Int64

    static let name = "tribute_batch_write_v7"
    static let sql = """
        WITH
        t AS (INSERT INTO transactions (id, workspace_id, kind, decision_id, created_at, reverses, detail)
              SELECT id, workspace_id, kind, decision_id, created_at, reverses, detail
              FROM jsonb_to_recordset($1::jsonb) AS x(id text, workspace_id text, kind text, decision_id text, created_at bigint, reverses text, detail text)),
        p AS (INSERT INTO postings (transaction_id, ordinal, account_id, unit, amount_micros)
              SELECT transaction_id, ordinal, account_id, unit, amount_micros
              FROM jsonb_to_recordset($2::jsonb) AS x(transaction_id text, ordinal smallint, account_id text, unit text, amount_micros bigint)),
        d AS (INSERT INTO decisions (id, workspace_seq, created_at, action_type, success, reason, actions_charged_micros, from_allowance_micros,
                  debit_micros, user_id, agent_id, run_id, cost_version, context, transaction_id, explanation, kind, hash)
              SELECT id, (SELECT w.seq FROM workspaces w WHERE w.id = x.workspace_id), created_at, action_type, success, reason, actions_charged_micros, from_allowance_micros,
                  debit_micros, user_id, agent_id, run_id, cost_version, context, transaction_id, explanation, kind, hash
              FROM jsonb_to_recordset($3::jsonb) AS x(id text, workspace_id text, created_at bigint, action_type text,
                  success boolean, reason text, actions_charged_micros bigint, from_allowance_micros bigint, debit_micros bigint,
                  user_id text, agent_id text, run_id text, cost_version bigint, context text, transaction_id text, explanation text,
                  kind text, hash text)),
        a AS (UPDATE accounts SET balance_micros = accounts.balance_micros + x.delta
              FROM tribute_batch_rows($4::jsonb) AS e, jsonb_to_record(e) AS x(id text, delta bigint) WHERE accounts.id = x.id),
        s AS (INSERT INTO system_balance_shards (account_id, shard, balance_micros)
              SELECT id, $6::int, delta FROM jsonb_to_recordset($5::jsonb) AS x(id text, delta bigint)
              ON CONFLICT (account_id, shard) DO UPDATE SET balance_micros = system_balance_shards.balance_micros + excluded.balance_micros),
        w AS (UPDATE workspaces SET period_start = x.period_start, period_end = x.period_end, period_used_micros = x.period_used_micros,
                  next_expiry_at = x.next_expiry_at, decision_head = x.decision_head, next_hold_expiry_at = x.next_hold_expiry_at, rollover = x.rollover
              FROM tribute_batch_rows($7::jsonb) AS e, jsonb_to_record(e) AS x(id text, period_start bigint, period_end bigint,
                  period_used_micros bigint, next_expiry_at bigint, decision_head text, next_hold_expiry_at bigint, rollover text) WHERE workspaces.id = x.id),
        g AS (UPDATE credit_grants SET remaining_micros = x.remaining_micros
              FROM tribute_batch_rows($8::jsonb) AS e, jsonb_to_record(e) AS x(id text, remaining_micros bigint) WHERE credit_grants.id = x.id),
        b AS (UPDATE budgets SET used_micros = x.used_micros, period_start = x.period_start
              FROM tribute_batch_rows($9::jsonb) AS e, jsonb_to_record(e) AS x(workspace_id text, scope text, used_micros bigint, period_start bigint)
              WHERE budgets.workspace_id = x.workspace_id AND budgets.scope = x.scope),
        i AS (UPDATE idempotency_keys SET response_body = x.response_body, approved = x.approved
              FROM tribute_batch_rows($10::jsonb) AS e, jsonb_to_record(e) AS x(workspace_id text, key text, response_body text, approved boolean)
              WHERE idempotency_keys.workspace_id = x.workspace_id AND idempotency_keys.key = x.key),
        r AS (DELETE FROM idempotency_keys USING tribute_batch_rows($11::jsonb) AS e, jsonb_to_record(e) AS x(workspace_id text, key text)
              WHERE idempotency_keys.workspace_id = x.workspace_id AND idempotency_keys.key = x.key AND idempotency_keys.response_body IS NULL),
        h AS (INSERT INTO holds (id, workspace_id, status, action_type, user_id, agent_id, run_id, cost_version, base_cost_micros,
                  overage_rate_micros, held_actions_micros, held_allowance_micros, held_credits_micros, committed_actions_micros,
                  committed_credits_micros, draws, budgets, period_start, created_at, expires_at, token_rates, updated_at)
              SELECT x->>0, x->>1, x->>2, x->>3, x->>4, x->>5, x->>6, (x->>7)::bigint, (x->>8)::bigint, (x->>9)::bigint, (x->>10)::bigint,
                  (x->>11)::bigint, (x->>12)::bigint, (x->>13)::bigint, (x->>14)::bigint, x->>15, x->>16, (x->>17)::bigint, (x->>18)::bigint,
                  (x->>19)::bigint, x->>20, $13::bigint
              FROM jsonb_array_elements($12::jsonb) AS x
              ON CONFLICT (id) DO UPDATE SET status = excluded.status, held_actions_micros = excluded.held_actions_micros,
                  held_allowance_micros = excluded.held_allowance_micros, held_credits_micros = excluded.held_credits_micros,
                  committed_actions_micros = excluded.committed_actions_micros, committed_credits_micros = excluded.committed_credits_micros,
                  draws = excluded.draws, budgets = excluded.budgets, expires_at = excluded.expires_at, updated_at = excluded.updated_at)
        SELECT pg_current_xact_id()::xid::text
        """

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 13)
        for text in [transactions, postings, decisions, accountDeltas, systemDeltas] { bindings.append(text) }
        bindings.append(shard)
        for text in [workspaces, grants, budgets, answeredKeys, releasedKeys, holds] { bindings.append(text) }
        bindings.append(atMillis)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(String.self) }
}
