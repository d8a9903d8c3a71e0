import GRDB
import TributeCore

/// The SQLite schema, as named forward-only migrations (each one transaction).
/// Invariants live in the schema first: non-negative workspace balances, unique idempotency
/// keys, one current cost per action type. Append-only tables use a plain rowid (`seq`;
/// never reused since nothing is deleted) and as few indexes as the queries need, because
/// every index is paid on each debit.
enum SQLiteMigrations {
    static func migrator(nowMillis: Int64) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1_schema") { db in
            try db.execute(sql: """
                CREATE TABLE plans (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    monthly_allowance_micros INTEGER NOT NULL CHECK (monthly_allowance_micros >= 0),
                    overage_policy TEXT NOT NULL CHECK (overage_policy IN ('block', 'credits')),
                    overage_rate_micros INTEGER NOT NULL CHECK (overage_rate_micros >= 0),
                    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
                    updated_at INTEGER NOT NULL
                );
                CREATE TABLE action_types (
                    action_type TEXT PRIMARY KEY NOT NULL,
                    base_cost_micros INTEGER NOT NULL CHECK (base_cost_micros >= 0),
                    version INTEGER NOT NULL CHECK (version >= 1),
                    updated_at INTEGER NOT NULL
                );
                CREATE TABLE action_cost_versions (
                    action_type TEXT NOT NULL REFERENCES action_types(action_type),
                    version INTEGER NOT NULL,
                    base_cost_micros INTEGER NOT NULL CHECK (base_cost_micros >= 0),
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (action_type, version)
                );
                CREATE TABLE workspaces (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    plan_id TEXT NOT NULL REFERENCES plans(id),
                    status TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
                    anchor_date TEXT NOT NULL,
                    anchor_day INTEGER NOT NULL CHECK (anchor_day BETWEEN 1 AND 31),
                    period_start INTEGER NOT NULL,
                    period_end INTEGER NOT NULL,
                    period_used_micros INTEGER NOT NULL CHECK (period_used_micros >= 0),
                    next_expiry_at INTEGER,
                    created_at INTEGER NOT NULL
                );
                CREATE TABLE accounts (
                    id TEXT PRIMARY KEY NOT NULL,
                    workspace_id TEXT REFERENCES workspaces(id),
                    kind TEXT NOT NULL,
                    unit TEXT NOT NULL CHECK (unit IN ('actions', 'credits')),
                    allows_negative INTEGER NOT NULL CHECK (allows_negative IN (0, 1)),
                    balance_micros INTEGER NOT NULL,
                    CHECK (allows_negative = 1 OR balance_micros >= 0)
                ) WITHOUT ROWID;
                CREATE TABLE transactions (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    workspace_id TEXT REFERENCES workspaces(id),
                    kind TEXT NOT NULL,
                    decision_id TEXT,
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX transactions_by_workspace ON transactions(workspace_id, seq);
                CREATE TABLE postings (
                    transaction_seq INTEGER NOT NULL REFERENCES transactions(seq),
                    account_id TEXT NOT NULL REFERENCES accounts(id),
                    unit TEXT NOT NULL,
                    amount_micros INTEGER NOT NULL CHECK (amount_micros <> 0)
                );
                CREATE INDEX postings_by_transaction ON postings(transaction_seq);
                CREATE TABLE credit_grants (
                    id TEXT PRIMARY KEY NOT NULL,
                    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                    amount_micros INTEGER NOT NULL CHECK (amount_micros > 0),
                    remaining_micros INTEGER NOT NULL CHECK (remaining_micros >= 0 AND remaining_micros <= amount_micros),
                    expires_at INTEGER,
                    note TEXT,
                    transaction_id TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX credit_grants_open ON credit_grants(workspace_id, remaining_micros);
                CREATE TABLE budgets (
                    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                    scope TEXT NOT NULL,
                    limit_micros INTEGER NOT NULL CHECK (limit_micros >= 0),
                    unit TEXT NOT NULL CHECK (unit IN ('actions', 'credits')),
                    period TEXT NOT NULL CHECK (period IN ('month', 'lifetime')),
                    used_micros INTEGER NOT NULL CHECK (used_micros >= 0),
                    period_start INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (workspace_id, scope)
                ) WITHOUT ROWID;
                CREATE TABLE decisions (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    workspace_id TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    action_type TEXT NOT NULL,
                    success INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    actions_charged_micros INTEGER NOT NULL,
                    from_allowance_micros INTEGER NOT NULL,
                    debit_micros INTEGER NOT NULL,
                    user_id TEXT,
                    agent_id TEXT,
                    run_id TEXT,
                    cost_version INTEGER NOT NULL,
                    context TEXT,
                    transaction_id TEXT,
                    prev_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                );
                CREATE INDEX decisions_by_workspace ON decisions(workspace_id, seq);
                CREATE INDEX decisions_by_workspace_time ON decisions(workspace_id, created_at);
                CREATE TABLE idempotency_keys (
                    workspace_id TEXT NOT NULL,
                    key TEXT NOT NULL,
                    request_hash TEXT NOT NULL,
                    response_body TEXT NOT NULL,
                    approved INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (workspace_id, key)
                ) WITHOUT ROWID;
                CREATE TABLE api_keys (
                    id TEXT PRIMARY KEY NOT NULL,
                    key_hash TEXT NOT NULL UNIQUE,
                    prefix TEXT NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('admin', 'service', 'viewer')),
                    workspace_ids TEXT NOT NULL,
                    name TEXT,
                    created_at INTEGER NOT NULL,
                    revoked_at INTEGER
                );
                """)
        }
        migrator.registerMigration("v1_default_catalog") { db in
            for plan in DefaultCatalog.plans {
                try db.execute(
                    sql: "INSERT INTO plans (id, name, monthly_allowance_micros, overage_policy, overage_rate_micros, price_cents, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [plan.id, plan.name, plan.monthlyAllowance.micros, plan.overagePolicy.rawValue, plan.overageRate.micros, plan.priceCents, nowMillis])
            }
            for (actionType, cost) in DefaultCatalog.actionCosts {
                try db.execute(sql: "INSERT INTO action_types (action_type, base_cost_micros, version, updated_at) VALUES (?, ?, 1, ?)", arguments: [actionType, cost.micros, nowMillis])
                try db.execute(sql: "INSERT INTO action_cost_versions (action_type, version, base_cost_micros, created_at) VALUES (?, 1, ?, ?)", arguments: [actionType, cost.micros, nowMillis])
            }
            for kind in AccountKind.allCases where !kind.isWorkspaceAccount {
                try db.execute(sql: "INSERT INTO accounts (id, workspace_id, kind, unit, allows_negative, balance_micros) VALUES (?, NULL, ?, ?, 1, 0)",
                               arguments: [AccountRef.system(kind).description, kind.rawValue, kind.unit.rawValue])
            }
        }
        migrator.registerMigration("v2_payments_and_events") { db in
            try db.execute(sql: """
                CREATE TABLE credit_packages (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL,
                    credits_micros INTEGER NOT NULL CHECK (credits_micros > 0),
                    price_cents INTEGER NOT NULL CHECK (price_cents > 0),
                    currency TEXT NOT NULL,
                    active INTEGER NOT NULL CHECK (active IN (0, 1)),
                    updated_at INTEGER NOT NULL
                );
                CREATE TABLE purchases (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                    package_id TEXT NOT NULL,
                    credits_micros INTEGER NOT NULL CHECK (credits_micros > 0),
                    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
                    currency TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
                    payment_intent_id TEXT UNIQUE,
                    refunded_cents INTEGER NOT NULL CHECK (refunded_cents >= 0 AND refunded_cents <= amount_cents),
                    credits_refunded_micros INTEGER NOT NULL CHECK (credits_refunded_micros >= 0),
                    credits_unrecovered_micros INTEGER NOT NULL CHECK (credits_unrecovered_micros >= 0),
                    grant_id TEXT,
                    failure_reason TEXT,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                CREATE INDEX purchases_by_workspace ON purchases(workspace_id, seq);
                CREATE TABLE events (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    workspace_id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    body TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX events_by_workspace ON events(workspace_id, seq);
                CREATE TABLE webhook_endpoints (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    url TEXT NOT NULL,
                    secret TEXT NOT NULL,
                    event_types TEXT NOT NULL,
                    description TEXT,
                    created_at INTEGER NOT NULL,
                    deleted_at INTEGER
                );
                CREATE TABLE webhook_deliveries (
                    seq INTEGER PRIMARY KEY,
                    endpoint_id TEXT NOT NULL,
                    event_id TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
                    attempts INTEGER NOT NULL CHECK (attempts >= 0),
                    next_attempt_at INTEGER NOT NULL,
                    last_status_code INTEGER,
                    last_error TEXT,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    UNIQUE (endpoint_id, event_id)
                );
                CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);
                CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries(endpoint_id, seq);
                ALTER TABLE workspaces ADD COLUMN low_balance_threshold_micros INTEGER;
                """)
            for package in DefaultCatalog.creditPackages {
                try db.execute(sql: "INSERT INTO credit_packages (id, name, credits_micros, price_cents, currency, active, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               arguments: [package.id, package.name, package.credits.micros, package.priceCents, package.currency, package.active, nowMillis])
            }
            // Databases made before payments lack the payments clearing account.
            try db.execute(sql: "INSERT OR IGNORE INTO accounts (id, workspace_id, kind, unit, allows_negative, balance_micros) VALUES (?, NULL, ?, ?, 1, 0)",
                           arguments: [AccountRef.system(.payments).description, AccountKind.payments.rawValue, LedgerUnit.credits.rawValue])
        }
        // A key's own rate limit (SPEC §3.3): both columns NULL follows the server's default.
        migrator.registerMigration("v4_key_rate_limits") { db in
            try db.execute(sql: """
                ALTER TABLE api_keys ADD COLUMN rate_limit_per_second INTEGER
                    CHECK (rate_limit_per_second IS NULL OR (typeof(rate_limit_per_second) = 'integer' AND rate_limit_per_second BETWEEN 1 AND 1000000));
                ALTER TABLE api_keys ADD COLUMN rate_limit_burst INTEGER
                    CHECK ((rate_limit_burst IS NULL) = (rate_limit_per_second IS NULL)
                           AND (rate_limit_burst IS NULL OR (typeof(rate_limit_burst) = 'integer' AND rate_limit_burst BETWEEN 1 AND 1000000)));
                """)
        }
        // Dashboard sign-ins (docs/dashboard.md): only the SHA-256 of a session's secret is
        // kept. Sessions are read by secret, bounded per key, and swept by expiry.
        migrator.registerMigration("v3_dashboard_sessions") { db in
            try db.execute(sql: """
                CREATE TABLE dashboard_sessions (
                    seq INTEGER PRIMARY KEY,
                    secret_hash TEXT NOT NULL UNIQUE CHECK (typeof(secret_hash) = 'text' AND length(secret_hash) = 64),
                    key_id TEXT NOT NULL REFERENCES api_keys(id),
                    created_at INTEGER NOT NULL CHECK (typeof(created_at) = 'integer'),
                    expires_at INTEGER NOT NULL CHECK (typeof(expires_at) = 'integer' AND expires_at > created_at)
                );
                CREATE INDEX dashboard_sessions_by_key ON dashboard_sessions(key_id, seq);
                CREATE INDEX dashboard_sessions_by_expiry ON dashboard_sessions(expires_at);
                """)
        }
        // Amount columns refuse anything but integers (SPEC §3.3): SQLite would otherwise
        // store a sum past Int64 as a float. Idempotency keys expire, oldest first.
        migrator.registerMigration("v5_integer_amounts") { db in
            try SQLiteIntegerAmounts.migrate(db)
            try db.execute(sql: "CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at)")
        }
        // One chain rule on every backend (SPEC §4): a chain per workspace with its head
        // stored. Decisions written before were one chain over every workspace; they stay
        // as written and are checked as that chain up to `legacy_chain_end_seq`, and each
        // workspace's chain goes on from its newest decision. Also: decisions keep their
        // explanation, a reversal names what it reverses (once), and checkpoints.
        migrator.registerMigration("v6_workspace_chains") { db in
            try db.execute(sql: """
                ALTER TABLE workspaces ADD COLUMN decision_head TEXT NOT NULL DEFAULT '\(DecisionRecord.genesisHash)'
                    CHECK (typeof(decision_head) = 'text' AND length(decision_head) = 64);
                UPDATE workspaces SET decision_head = COALESCE(
                    (SELECT d.hash FROM decisions d WHERE d.workspace_id = workspaces.id ORDER BY d.seq DESC LIMIT 1), decision_head);
                CREATE TABLE ledger_meta (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    legacy_chain_end_seq INTEGER NOT NULL CHECK (typeof(legacy_chain_end_seq) = 'integer')
                );
                INSERT INTO ledger_meta (id, legacy_chain_end_seq) VALUES (1, (SELECT COALESCE(MAX(seq), 0) FROM decisions));
                ALTER TABLE decisions ADD COLUMN explanation TEXT;
                ALTER TABLE transactions ADD COLUMN reverses TEXT;
                CREATE UNIQUE INDEX transactions_reversing ON transactions(reverses) WHERE reverses IS NOT NULL;
                CREATE TABLE ledger_checkpoints (
                    seq INTEGER PRIMARY KEY,
                    digest TEXT NOT NULL UNIQUE CHECK (length(digest) = 64),
                    created_at INTEGER NOT NULL CHECK (typeof(created_at) = 'integer'),
                    heads TEXT NOT NULL
                );
                """)
        }
        // What a decision records (`DecisionKind`): a call, or a step of a hold (SPEC §3.1).
        migrator.registerMigration("v7_decision_kinds") { db in
            try db.execute(sql: """
                ALTER TABLE decisions ADD COLUMN kind TEXT NOT NULL DEFAULT 'call'
                    CHECK (kind IN ('call', 'hold', 'commit', 'release', 'expiry'));
                """)
        }
        // Holds (SPEC §3.1): what a hold still holds sits in two more accounts per
        // workspace, under the same non-negative check as the wallet; the open holds are
        // found by expiry (the sweeper's partial index, a call's per-workspace index).
        migrator.registerMigration("v8_holds") { db in
            try SQLiteHoldSchema.create(db)
        }
        // `?outcome=denied` reads a workspace's denials through an index of their own
        // (`DecisionRows.page`), not by passing over every approval; only decisions that
        // are no approval take room in it.
        migrator.registerMigration("v9_denied_decisions_index") { db in
            try db.execute(sql: "CREATE INDEX decisions_denied_by_workspace ON decisions(workspace_id, seq) WHERE NOT success")
        }
        // A claim of webhook deliveries takes the earliest due of each endpoint
        // (`claimDeliveries`): found by endpoint among the pending ones only, however long
        // the endpoint's history of sent deliveries.
        migrator.registerMigration("v10_pending_deliveries_by_endpoint") { db in
            try db.execute(sql: """
                CREATE INDEX webhook_deliveries_pending_by_endpoint ON webhook_deliveries(endpoint_id, next_attempt_at, seq) WHERE status = 'pending';
                """)
        }
        // When a plan's allowance last changed (`PUT /v1/plans`), apart from its other
        // fields: `ledger verify` checks a workspace against its plan only when its
        // allowance was issued since (`AuditRows.allowances`). Edits made before this are
        // taken as allowance changes.
        migrator.registerMigration("v11_plan_allowance_changed_at") { db in
            try db.execute(sql: """
                ALTER TABLE plans ADD COLUMN allowance_changed_at INTEGER NOT NULL DEFAULT 0 CHECK (typeof(allowance_changed_at) = 'integer');
                UPDATE plans SET allowance_changed_at = updated_at;
                """)
        }
        // The checks of the two hot tables without an IN list of more than two values, which
        // SQLite evaluates through a temporary index per statement (`SQLiteCheckRewrite`):
        // the same rows pass, the table is not rebuilt.
        migrator.registerMigration("v12_checks_without_in_lists") { db in
            try SQLiteCheckRewrite.rewrite(db, table: "decisions", SQLiteCheckRewrite.equalities(column: "kind", values: ["call", "hold", "commit", "release", "expiry"]))
            try SQLiteCheckRewrite.rewrite(db, table: "holds", SQLiteCheckRewrite.equalities(column: "status", values: ["open", "committed", "released", "expired"]))
            guard try String.fetchOne(db, sql: "PRAGMA quick_check") == "ok" else { throw StoreFault.unknownValue("sqlite_schema", "quick_check failed") }
        }
        // Claims find due deliveries endpoint by endpoint through the partial index of
        // pending ones (v10): no query reads `webhook_deliveries_due` any more, which held an
        // entry for every delivery ever made.
        migrator.registerMigration("v13_drop_deliveries_due_index") { db in
            try db.execute(sql: "DROP INDEX IF EXISTS webhook_deliveries_due")
        }
        // One row a debit (docs/ledger.md): a debit's or a hold's transfer is carried by its
        // decision, which stores neither a transaction id (derived from its own) nor the
        // previous hash (its hash commits to it). The rows written before stay as they are,
        // with their transactions, postings and hashes; only the NOT NULL of `prev_hash` goes,
        // in place (`SQLiteCheckRewrite`: every stored row still passes).
        migrator.registerMigration("v14_decisions_carry_transfers") { db in
            try SQLiteCheckRewrite.rewrite(db, table: "decisions", ("prev_hash TEXT NOT NULL,", "prev_hash TEXT,"))
            guard try String.fetchOne(db, sql: "PRAGMA quick_check") == "ok" else { throw StoreFault.unknownValue("sqlite_schema", "quick_check failed") }
        }
        // A decision names its workspace by the workspace's `seq`, an integer of a byte or
        // two, in its row and in each of its three indexes, instead of the id (`DecisionRows.
        // workspaceSeq`). A decision of a workspace that does not exist stops the migration
        // (NOT NULL), as it would have failed `ledger verify`.
        migrator.registerMigration("v15_decisions_by_workspace_seq") { db in
            try db.execute(sql: """
                DROP INDEX decisions_by_workspace;
                DROP INDEX decisions_by_workspace_time;
                DROP INDEX decisions_denied_by_workspace;
                ALTER TABLE decisions ADD COLUMN workspace_seq INTEGER NOT NULL DEFAULT 0;
                UPDATE decisions SET workspace_seq = (SELECT w.seq FROM workspaces w WHERE w.id = decisions.workspace_id);
                ALTER TABLE decisions DROP COLUMN workspace_id;
                CREATE INDEX decisions_by_workspace ON decisions(workspace_seq, seq);
                CREATE INDEX decisions_by_workspace_time ON decisions(workspace_seq, created_at);
                CREATE INDEX decisions_denied_by_workspace ON decisions(workspace_seq, seq) WHERE NOT success;
                """)
        }
        // Token-priced actions (SPEC §3.6): an action's rates per million tokens of each kind
        // (`TokenRates.stored`), NULL for an action priced per call; a hold keeps the rates
        // its commit prices actual usage at.
        migrator.registerMigration("v16_token_rates") { db in
            try db.execute(sql: """
                ALTER TABLE action_types ADD COLUMN token_rates TEXT;
                ALTER TABLE action_cost_versions ADD COLUMN token_rates TEXT;
                ALTER TABLE holds ADD COLUMN token_rates TEXT;
                """)
        }
        // Spend controls (SPEC §3.7): budgets by the UTC day and week, the period's check
        // widened in place (every stored row still passes) without an IN list, as v12 wrote
        // the others; and frozen keys (`frozen_at`, NULL while active).
        migrator.registerMigration("v17_spend_controls") { db in
            try db.execute(sql: "ALTER TABLE api_keys ADD COLUMN frozen_at INTEGER")
            let widened = "CHECK (period = 'day' OR period = 'week' OR period = 'month' OR period = 'lifetime')"
            try SQLiteCheckRewrite.rewrite(db, table: "budgets", ("CHECK (period IN ('month', 'lifetime'))", widened))
            guard try String.fetchOne(db, sql: "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'budgets'")?.contains(widened) == true,
                  try String.fetchOne(db, sql: "PRAGMA quick_check") == "ok" else { throw StoreFault.unknownValue("sqlite_schema", "budgets' period check") }
        }
        // Auto top-up (SPEC §3.8). The kernel's part rides on the workspace row, read with it
        // by every call (`AutoTopup.Trigger`; all NULL while off, which costs a row nothing);
        // the settings and the saved card, read only by the payment worker and the API, have
        // a row of their own; attempts are the outbox, at most one open per workspace.
        migrator.registerMigration("v18_auto_topup") { db in
            let states = AutoTopup.State.allCases.map { "auto_topup_state = '\($0.rawValue)'" }.joined(separator: " OR ")
            try db.execute(sql: """
                ALTER TABLE workspaces ADD COLUMN auto_topup_state TEXT CHECK (auto_topup_state IS NULL OR \(states));
                ALTER TABLE workspaces ADD COLUMN auto_topup_threshold_micros INTEGER CHECK (typeof(auto_topup_threshold_micros) = 'integer' OR auto_topup_threshold_micros IS NULL);
                ALTER TABLE workspaces ADD COLUMN auto_topup_reason TEXT;
                ALTER TABLE workspaces ADD COLUMN auto_topup_until INTEGER;
                CREATE TABLE auto_topups (
                    workspace_id TEXT PRIMARY KEY NOT NULL REFERENCES workspaces(id),
                    package_id TEXT,
                    target_micros INTEGER CHECK (typeof(target_micros) = 'integer' OR target_micros IS NULL),
                    max_charges_per_day INTEGER CHECK (max_charges_per_day IS NULL OR max_charges_per_day >= 0),
                    max_cents_per_month INTEGER CHECK (max_cents_per_month IS NULL OR max_cents_per_month >= 0),
                    customer_id TEXT,
                    payment_method_id TEXT,
                    card_brand TEXT,
                    card_last4 TEXT,
                    card_fingerprint TEXT,
                    blocked_fingerprint TEXT,
                    updated_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE auto_topup_attempts (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                    status TEXT NOT NULL CHECK (status = 'open' OR status = 'succeeded' OR status = 'failed' OR status = 'limited' OR status = 'skipped'),
                    available_micros INTEGER NOT NULL CHECK (typeof(available_micros) = 'integer'),
                    packages INTEGER CHECK (packages IS NULL OR packages >= 1),
                    capped_by TEXT,
                    reason TEXT,
                    tries INTEGER NOT NULL CHECK (tries >= 0),
                    due_at INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                );
                CREATE UNIQUE INDEX auto_topup_attempts_one_open ON auto_topup_attempts(workspace_id) WHERE status = 'open';
                CREATE INDEX auto_topup_attempts_by_workspace ON auto_topup_attempts(workspace_id, created_at);
                """)
        }
        // Credits as finance needs them (SPEC §3.9): each grant's category, its priority in
        // the draw order, what it cost and when it counts from (NULL: its creation). Grants
        // that exist become `paid` (a purchase's, at its price) or `promotional`. A
        // workspace's grants are listed newest first through an index of their own.
        migrator.registerMigration("v19_grant_terms") { db in
            let categories = GrantCategory.allCases.map { "category = '\($0.rawValue)'" }.joined(separator: " OR ")
            try db.execute(sql: """
                ALTER TABLE credit_grants ADD COLUMN category TEXT NOT NULL DEFAULT 'promotional' CHECK (\(categories));
                ALTER TABLE credit_grants ADD COLUMN priority INTEGER NOT NULL DEFAULT 50 CHECK (typeof(priority) = 'integer' AND priority >= 0 AND priority <= 100);
                ALTER TABLE credit_grants ADD COLUMN cost_basis_cents INTEGER NOT NULL DEFAULT 0 CHECK (typeof(cost_basis_cents) = 'integer' AND cost_basis_cents >= 0);
                ALTER TABLE credit_grants ADD COLUMN effective_at INTEGER CHECK (effective_at IS NULL OR typeof(effective_at) = 'integer');
                UPDATE credit_grants SET category = 'paid', cost_basis_cents = (SELECT p.amount_cents FROM purchases p WHERE p.grant_id = credit_grants.id)
                WHERE id IN (SELECT grant_id FROM purchases WHERE grant_id IS NOT NULL);
                CREATE INDEX credit_grants_by_workspace ON credit_grants(workspace_id, created_at, id);
                """)
        }
        // Allowance rollover and statements (SPEC §3.9): a plan's terms and a workspace's
        // carries, one text column each (`RolloverTerms.encoded`, `AllowanceCarry.encoded`),
        // NULL without; what an expiry or a close does that its postings do not say
        // (`TransactionDetail`); and each workspace's statements, numbered per workspace,
        // written once.
        migrator.registerMigration("v20_rollover_and_statements") { db in
            try db.execute(sql: """
                ALTER TABLE plans ADD COLUMN rollover TEXT CHECK (rollover IS NULL OR typeof(rollover) = 'text');
                ALTER TABLE workspaces ADD COLUMN rollover TEXT CHECK (rollover IS NULL OR typeof(rollover) = 'text');
                ALTER TABLE transactions ADD COLUMN detail TEXT CHECK (detail IS NULL OR typeof(detail) = 'text');
                CREATE TABLE statements (
                    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                    number INTEGER NOT NULL CHECK (typeof(number) = 'integer' AND number >= 1),
                    from_at INTEGER NOT NULL CHECK (typeof(from_at) = 'integer'),
                    to_at INTEGER NOT NULL CHECK (typeof(to_at) = 'integer'),
                    body TEXT NOT NULL,
                    digest TEXT NOT NULL,
                    created_at INTEGER NOT NULL CHECK (typeof(created_at) = 'integer'),
                    PRIMARY KEY (workspace_id, number)
                ) WITHOUT ROWID;
                """)
        }
        return migrator
    }
}
