import Logging
import PostgresNIO
import TributeCore

/// The PostgreSQL schema, as named forward-only migrations, each applied once in its own
/// transaction under an advisory lock, so that instances starting together migrate once.
///
/// The invariants live in the schema as on SQLite: non-negative workspace balances, unique
/// idempotency keys, one current cost per action type. Two differences, both for
/// instances writing at the same time:
/// - System accounts (revenue, usage, …) are the other side of every debit, so one row per
///   account would make every batch of every instance wait for the previous one. Their
///   balances are kept in `system_balance_shards`, one row per account and shard, summed
///   when read; each batch adds to one shard.
/// - The decision hash chain is per workspace (`workspaces.decision_head`): a workspace's
///   decisions are written under its row lock, so its chain has one order; one chain for
///   all workspaces would serialize every instance's writes.
enum PostgresMigrations {
    static let lockKey: Int64 = 0x7472_6962_7574_65 // "tribute"

    static let all: [(name: String, statements: [String])] = [
        ("v1_schema", [
            """
            CREATE TABLE plans (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                monthly_allowance_micros BIGINT NOT NULL CHECK (monthly_allowance_micros >= 0),
                overage_policy TEXT NOT NULL CHECK (overage_policy IN ('block', 'credits')),
                overage_rate_micros BIGINT NOT NULL CHECK (overage_rate_micros >= 0),
                price_cents BIGINT NOT NULL CHECK (price_cents >= 0),
                updated_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE action_types (
                action_type TEXT PRIMARY KEY,
                base_cost_micros BIGINT NOT NULL CHECK (base_cost_micros >= 0),
                version BIGINT NOT NULL CHECK (version >= 1),
                updated_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE action_cost_versions (
                action_type TEXT NOT NULL REFERENCES action_types(action_type),
                version BIGINT NOT NULL,
                base_cost_micros BIGINT NOT NULL CHECK (base_cost_micros >= 0),
                created_at BIGINT NOT NULL,
                PRIMARY KEY (action_type, version))
            """,
            """
            CREATE TABLE workspaces (
                seq BIGSERIAL UNIQUE,
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                plan_id TEXT NOT NULL REFERENCES plans(id),
                status TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
                anchor_date TEXT NOT NULL,
                anchor_day INT NOT NULL CHECK (anchor_day BETWEEN 1 AND 31),
                period_start BIGINT NOT NULL,
                period_end BIGINT NOT NULL,
                period_used_micros BIGINT NOT NULL CHECK (period_used_micros >= 0),
                next_expiry_at BIGINT,
                decision_head TEXT NOT NULL,
                created_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE accounts (
                id TEXT PRIMARY KEY,
                workspace_id TEXT REFERENCES workspaces(id),
                kind TEXT NOT NULL,
                unit TEXT NOT NULL CHECK (unit IN ('actions', 'credits')),
                allows_negative BOOLEAN NOT NULL,
                balance_micros BIGINT NOT NULL,
                CHECK (allows_negative OR balance_micros >= 0),
                CHECK (workspace_id IS NOT NULL OR balance_micros = 0))
            """,
            """
            CREATE TABLE system_balance_shards (
                account_id TEXT NOT NULL REFERENCES accounts(id),
                shard INT NOT NULL CHECK (shard >= 0),
                balance_micros BIGINT NOT NULL,
                PRIMARY KEY (account_id, shard))
            """,
            """
            CREATE TABLE transactions (
                seq BIGSERIAL PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                workspace_id TEXT REFERENCES workspaces(id),
                kind TEXT NOT NULL,
                decision_id TEXT,
                created_at BIGINT NOT NULL)
            """,
            "CREATE INDEX transactions_by_workspace ON transactions (workspace_id, seq)",
            """
            CREATE TABLE postings (
                transaction_id TEXT NOT NULL REFERENCES transactions(id),
                ordinal SMALLINT NOT NULL,
                account_id TEXT NOT NULL REFERENCES accounts(id),
                unit TEXT NOT NULL,
                amount_micros BIGINT NOT NULL CHECK (amount_micros <> 0),
                PRIMARY KEY (transaction_id, ordinal))
            """,
            """
            CREATE TABLE credit_grants (
                id TEXT PRIMARY KEY,
                workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                amount_micros BIGINT NOT NULL CHECK (amount_micros > 0),
                remaining_micros BIGINT NOT NULL CHECK (remaining_micros >= 0 AND remaining_micros <= amount_micros),
                expires_at BIGINT,
                note TEXT,
                transaction_id TEXT NOT NULL,
                created_at BIGINT NOT NULL)
            """,
            "CREATE INDEX credit_grants_open ON credit_grants (workspace_id) WHERE remaining_micros > 0",
            """
            CREATE TABLE budgets (
                workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                scope TEXT NOT NULL,
                limit_micros BIGINT NOT NULL CHECK (limit_micros >= 0),
                unit TEXT NOT NULL CHECK (unit IN ('actions', 'credits')),
                period TEXT NOT NULL CHECK (period IN ('month', 'lifetime')),
                used_micros BIGINT NOT NULL CHECK (used_micros >= 0),
                period_start BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, scope))
            """,
            """
            CREATE TABLE decisions (
                seq BIGSERIAL PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                workspace_id TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                action_type TEXT NOT NULL,
                success BOOLEAN NOT NULL,
                reason TEXT NOT NULL,
                actions_charged_micros BIGINT NOT NULL,
                from_allowance_micros BIGINT NOT NULL,
                debit_micros BIGINT NOT NULL,
                user_id TEXT,
                agent_id TEXT,
                run_id TEXT,
                cost_version BIGINT NOT NULL,
                context TEXT,
                transaction_id TEXT,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL)
            """,
            "CREATE INDEX decisions_by_workspace ON decisions (workspace_id, seq)",
            "CREATE INDEX decisions_by_workspace_time ON decisions (workspace_id, created_at)",
            """
            CREATE TABLE idempotency_keys (
                workspace_id TEXT NOT NULL,
                key TEXT NOT NULL,
                request_hash TEXT NOT NULL,
                response_body TEXT,
                approved BOOLEAN,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, key))
            """,
            """
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                key_hash TEXT NOT NULL UNIQUE,
                prefix TEXT NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('admin', 'service', 'viewer')),
                workspace_ids TEXT NOT NULL,
                name TEXT,
                created_at BIGINT NOT NULL,
                revoked_at BIGINT)
            """,
        ]),
        // Every posting's foreign keys cost a lookup and a shared row lock at the end of
        // the statement; the lock on a system account row, taken by every batch of every
        // workspace, turned into multixacts under load. Rows of these append-only tables
        // are written by one code path, under the workspace lock, and `ledger verify`
        // looks for any that would have been refused.
        // A workspace's accounts are read by workspace on every batch and every view.
        ("v2_accounts_by_workspace", [
            "CREATE INDEX accounts_by_workspace ON accounts (workspace_id)",
        ]),
        ("v3_append_only_tables_without_foreign_keys", [
            "ALTER TABLE postings DROP CONSTRAINT postings_transaction_id_fkey",
            "ALTER TABLE postings DROP CONSTRAINT postings_account_id_fkey",
            "ALTER TABLE transactions DROP CONSTRAINT transactions_workspace_id_fkey",
        ]),
        ("v4_payments_and_events", [
            """
            CREATE TABLE credit_packages (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                credits_micros BIGINT NOT NULL CHECK (credits_micros > 0),
                price_cents BIGINT NOT NULL CHECK (price_cents > 0),
                currency TEXT NOT NULL,
                active BOOLEAN NOT NULL,
                updated_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE purchases (
                seq BIGSERIAL PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                package_id TEXT NOT NULL,
                credits_micros BIGINT NOT NULL CHECK (credits_micros > 0),
                amount_cents BIGINT NOT NULL CHECK (amount_cents > 0),
                currency TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
                payment_intent_id TEXT UNIQUE,
                refunded_cents BIGINT NOT NULL CHECK (refunded_cents >= 0 AND refunded_cents <= amount_cents),
                credits_refunded_micros BIGINT NOT NULL CHECK (credits_refunded_micros >= 0),
                credits_unrecovered_micros BIGINT NOT NULL CHECK (credits_unrecovered_micros >= 0),
                grant_id TEXT,
                failure_reason TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL)
            """,
            "CREATE INDEX purchases_by_workspace ON purchases (workspace_id, seq)",
            """
            CREATE TABLE events (
                seq BIGSERIAL PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                workspace_id TEXT NOT NULL,
                type TEXT NOT NULL,
                body TEXT NOT NULL,
                created_at BIGINT NOT NULL)
            """,
            "CREATE INDEX events_by_workspace ON events (workspace_id, seq)",
            """
            CREATE TABLE webhook_endpoints (
                seq BIGSERIAL PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                url TEXT NOT NULL,
                secret TEXT NOT NULL,
                event_types TEXT NOT NULL,
                description TEXT,
                created_at BIGINT NOT NULL,
                deleted_at BIGINT)
            """,
            """
            CREATE TABLE webhook_deliveries (
                seq BIGSERIAL PRIMARY KEY,
                endpoint_id TEXT NOT NULL,
                event_id TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
                attempts INT NOT NULL CHECK (attempts >= 0),
                next_attempt_at BIGINT NOT NULL,
                last_status_code INT,
                last_error TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                UNIQUE (endpoint_id, event_id))
            """,
            "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'",
            "CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, seq)",
            "ALTER TABLE workspaces ADD COLUMN low_balance_threshold_micros BIGINT",
            // Databases made before payments lack the payments clearing account.
            """
            INSERT INTO accounts (id, workspace_id, kind, unit, allows_negative, balance_micros)
            VALUES ('system:payments', NULL, 'payments', 'credits', TRUE, 0) ON CONFLICT (id) DO NOTHING
            """,
        ]),
        // A key's own rate limit (SPEC §3.3): both columns NULL follows the server's default.
        ("v6_key_rate_limits", [
            """
            ALTER TABLE api_keys
                ADD COLUMN rate_limit_per_second BIGINT CHECK (rate_limit_per_second BETWEEN 1 AND 1000000),
                ADD COLUMN rate_limit_burst BIGINT CHECK (rate_limit_burst BETWEEN 1 AND 1000000),
                ADD CONSTRAINT api_keys_rate_limit_both_or_neither CHECK ((rate_limit_per_second IS NULL) = (rate_limit_burst IS NULL))
            """,
        ]),
        // Dashboard sign-ins (docs/dashboard.md): only the SHA-256 of a session's secret is
        // kept. Sessions are read by secret, bounded per key, and swept by expiry.
        ("v5_dashboard_sessions", [
            """
            CREATE TABLE dashboard_sessions (
                seq BIGSERIAL PRIMARY KEY,
                secret_hash TEXT NOT NULL UNIQUE CHECK (length(secret_hash) = 64),
                key_id TEXT NOT NULL REFERENCES api_keys(id),
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL CHECK (expires_at > created_at))
            """,
            "CREATE INDEX dashboard_sessions_by_key ON dashboard_sessions (key_id, seq)",
            "CREATE INDEX dashboard_sessions_by_expiry ON dashboard_sessions (expires_at)",
        ]),
        // Idempotency keys expire (SPEC §3.3); the sweeper deletes them oldest first.
        ("v7_idempotency_expiry", [
            "CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at)",
        ]),
        // Decisions keep their explanation (SPEC §3.5), a reversal names what it reverses
        // (once), and checkpoints record every chain's head (SPEC §4). Chains were per
        // workspace from the start here, so no legacy part precedes them.
        ("v8_explanations_reversals_checkpoints", [
            "ALTER TABLE decisions ADD COLUMN explanation TEXT",
            "ALTER TABLE transactions ADD COLUMN reverses TEXT",
            "CREATE UNIQUE INDEX transactions_reversing ON transactions (reverses) WHERE reverses IS NOT NULL",
            """
            CREATE TABLE ledger_checkpoints (
                seq BIGSERIAL PRIMARY KEY,
                digest TEXT NOT NULL UNIQUE CHECK (length(digest) = 64),
                created_at BIGINT NOT NULL,
                heads TEXT NOT NULL
            )
            """,
        ]),
        // What a decision records (`DecisionKind`): a call, or a step of a hold (SPEC §3.1).
        ("v9_decision_kinds", [
            "ALTER TABLE decisions ADD COLUMN kind TEXT NOT NULL DEFAULT 'call' CHECK (kind IN ('call', 'hold', 'commit', 'release', 'expiry'))",
        ]),
        // Holds (SPEC §3.1): what each still holds, and two accounts per workspace for the
        // held amounts, non-negative like the wallet. A workspace keeps its soonest hold
        // expiry so that a call knows without a read whether one ran out; the sweeper finds
        // expired holds by the partial index.
        ("v10_holds", [
            """
            CREATE TABLE holds (
                seq BIGSERIAL PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                status TEXT NOT NULL CHECK (status IN ('open', 'committed', 'released', 'expired')),
                action_type TEXT NOT NULL,
                user_id TEXT,
                agent_id TEXT,
                run_id TEXT,
                cost_version BIGINT NOT NULL,
                base_cost_micros BIGINT NOT NULL,
                overage_rate_micros BIGINT NOT NULL,
                held_actions_micros BIGINT NOT NULL CHECK (held_actions_micros >= 0),
                held_allowance_micros BIGINT NOT NULL CHECK (held_allowance_micros >= 0),
                held_credits_micros BIGINT NOT NULL CHECK (held_credits_micros >= 0),
                committed_actions_micros BIGINT NOT NULL CHECK (committed_actions_micros >= 0),
                committed_credits_micros BIGINT NOT NULL CHECK (committed_credits_micros >= 0),
                draws TEXT NOT NULL,
                budgets TEXT NOT NULL,
                period_start BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL)
            """,
            "CREATE INDEX holds_by_workspace ON holds (workspace_id, seq)",
            "CREATE INDEX holds_by_workspace_status ON holds (workspace_id, status, expires_at)",
            "CREATE INDEX holds_open_by_expiry ON holds (expires_at) WHERE status = 'open'",
            "ALTER TABLE workspaces ADD COLUMN next_hold_expiry_at BIGINT",
            """
            INSERT INTO accounts (id, workspace_id, kind, unit, allows_negative, balance_micros)
            SELECT 'workspace:' || id || ':held_allowance', id, 'held_allowance', 'actions', FALSE, 0 FROM workspaces
            UNION ALL
            SELECT 'workspace:' || id || ':held_credits', id, 'held_credits', 'credits', FALSE, 0 FROM workspaces
            ON CONFLICT (id) DO NOTHING
            """,
        ]),
        // The rows of a batch's write, each a JSON object, with an estimate of how many the
        // planner can use (a batch updates a handful of rows per table, by key). STRICT
        // keeps PostgreSQL from inlining it, which would drop the estimate.
        ("v11_batch_rows", [
            """
            CREATE OR REPLACE FUNCTION tribute_batch_rows(list jsonb) RETURNS SETOF jsonb
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE ROWS 8 AS 'SELECT jsonb_array_elements(list)'
            """,
        ]),
        // `?outcome=denied` reads a workspace's denials through an index of their own
        // (`DecisionRows.page`), not by passing over every approval; only decisions that
        // are no approval take room in it. Building it holds off writes to `decisions` while
        // it reads them once: on a large table an operator may build it first with
        // `CREATE INDEX CONCURRENTLY` under this name (docs/postgres.md), and this step
        // then finds it.
        ("v12_denied_decisions_index", [
            "CREATE INDEX IF NOT EXISTS decisions_denied_by_workspace ON decisions (workspace_id, seq) WHERE NOT success",
        ]),
        // A claim of webhook deliveries takes the earliest due of each endpoint
        // (`claimDeliveries`): found by endpoint among the pending ones only, however long
        // the endpoint's history of sent deliveries.
        ("v13_pending_deliveries_by_endpoint", [
            "CREATE INDEX webhook_deliveries_pending_by_endpoint ON webhook_deliveries (endpoint_id, next_attempt_at, seq) WHERE status = 'pending'",
        ]),
        // When a plan's allowance last changed, apart from its other fields: see the SQLite
        // migration of the same name.
        ("v14_plan_allowance_changed_at", [
            "ALTER TABLE plans ADD COLUMN allowance_changed_at BIGINT NOT NULL DEFAULT 0",
            "UPDATE plans SET allowance_changed_at = updated_at",
        ]),
        // Claims find due deliveries endpoint by endpoint through the partial index of
        // pending ones (v13): no query reads `webhook_deliveries_due` any more.
        ("v15_drop_deliveries_due_index", [
            "DROP INDEX IF EXISTS webhook_deliveries_due",
        ]),
        // One row a debit: see the SQLite migration of the same name. The rows written
        // before keep their transactions, postings and previous hashes. Transactions are
        // numbered from the decisions' sequence from now on, past every row of both, so that
        // a workspace's ledger lists rows and carried transfers in one order.
        ("v16_decisions_carry_transfers", [
            "ALTER TABLE decisions ALTER COLUMN prev_hash DROP NOT NULL",
            "LOCK TABLE transactions, decisions IN EXCLUSIVE MODE",
            "SELECT setval(pg_get_serial_sequence('decisions', 'seq'), GREATEST((SELECT MAX(seq) FROM decisions), (SELECT MAX(seq) FROM transactions), 1))",
            "ALTER TABLE transactions ALTER COLUMN seq SET DEFAULT nextval('decisions_seq_seq'::regclass)",
        ]),
        // Decisions name their workspace by its `seq`: see the SQLite migration of the same name.
        ("v17_decisions_by_workspace_seq", [
            "ALTER TABLE decisions ADD COLUMN workspace_seq BIGINT",
            "UPDATE decisions d SET workspace_seq = w.seq FROM workspaces w WHERE w.id = d.workspace_id",
            "ALTER TABLE decisions ALTER COLUMN workspace_seq SET NOT NULL",
            "DROP INDEX decisions_by_workspace",
            "DROP INDEX decisions_by_workspace_time",
            "DROP INDEX decisions_denied_by_workspace",
            "ALTER TABLE decisions DROP COLUMN workspace_id",
            "CREATE INDEX decisions_by_workspace ON decisions (workspace_seq, seq)",
            "CREATE INDEX decisions_by_workspace_time ON decisions (workspace_seq, created_at)",
            "CREATE INDEX decisions_denied_by_workspace ON decisions (workspace_seq, seq) WHERE NOT success",
        ]),
        // Token-priced actions: see the SQLite migration of the same name.
        ("v18_token_rates", [
            "ALTER TABLE action_types ADD COLUMN token_rates TEXT",
            "ALTER TABLE action_cost_versions ADD COLUMN token_rates TEXT",
            "ALTER TABLE holds ADD COLUMN token_rates TEXT",
        ]),
        // Spend controls: see the SQLite migration of the same name.
        ("v19_spend_controls", [
            "ALTER TABLE api_keys ADD COLUMN frozen_at BIGINT",
            "ALTER TABLE budgets DROP CONSTRAINT budgets_period_check",
            "ALTER TABLE budgets ADD CONSTRAINT budgets_period_check CHECK (period IN ('day', 'week', 'month', 'lifetime'))",
        ]),
        // Auto top-up: see the SQLite migration of the same name.
        ("v20_auto_topup", [
            "ALTER TABLE workspaces ADD COLUMN auto_topup_state TEXT CHECK (auto_topup_state IN ('active', 'pending', 'suspended', 'limited', 'no_payment_method'))",
            "ALTER TABLE workspaces ADD COLUMN auto_topup_threshold_micros BIGINT",
            "ALTER TABLE workspaces ADD COLUMN auto_topup_reason TEXT",
            "ALTER TABLE workspaces ADD COLUMN auto_topup_until BIGINT",
            """
            CREATE TABLE auto_topups (
                workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id),
                package_id TEXT,
                target_micros BIGINT,
                max_charges_per_day BIGINT CHECK (max_charges_per_day >= 0),
                max_cents_per_month BIGINT CHECK (max_cents_per_month >= 0),
                customer_id TEXT,
                payment_method_id TEXT,
                card_brand TEXT,
                card_last4 TEXT,
                card_fingerprint TEXT,
                blocked_fingerprint TEXT,
                updated_at BIGINT NOT NULL)
            """,
            """
            CREATE TABLE auto_topup_attempts (
                seq BIGSERIAL PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                status TEXT NOT NULL CHECK (status IN ('open', 'succeeded', 'failed', 'limited', 'skipped')),
                available_micros BIGINT NOT NULL,
                packages BIGINT CHECK (packages >= 1),
                capped_by TEXT,
                reason TEXT,
                tries BIGINT NOT NULL CHECK (tries >= 0),
                due_at BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL)
            """,
            "CREATE UNIQUE INDEX auto_topup_attempts_one_open ON auto_topup_attempts (workspace_id) WHERE status = 'open'",
            "CREATE INDEX auto_topup_attempts_by_workspace ON auto_topup_attempts (workspace_id, created_at)",
        ]),
        // Grant terms: see the SQLite migration of the same name.
        ("v21_grant_terms", [
            "ALTER TABLE credit_grants ADD COLUMN category TEXT NOT NULL DEFAULT 'promotional' CHECK (category IN ('paid', 'promotional', 'refund', 'rollover'))",
            "ALTER TABLE credit_grants ADD COLUMN priority INTEGER NOT NULL DEFAULT 50 CHECK (priority BETWEEN 0 AND 100)",
            "ALTER TABLE credit_grants ADD COLUMN cost_basis_cents BIGINT NOT NULL DEFAULT 0 CHECK (cost_basis_cents >= 0)",
            "ALTER TABLE credit_grants ADD COLUMN effective_at BIGINT",
            """
            UPDATE credit_grants g SET category = 'paid', cost_basis_cents = p.amount_cents FROM purchases p WHERE p.grant_id = g.id
            """,
            // Grant ids compared byte by byte, as SQLite compares them: the draw order's last
            // tie-break (creation, then id) must not follow the cluster's locale.
            "ALTER TABLE credit_grants ALTER COLUMN id TYPE TEXT COLLATE \"C\"",
            "CREATE INDEX credit_grants_by_workspace ON credit_grants (workspace_id, created_at, id)",
        ]),
        // Allowance rollover and statements (SPEC §3.9), as SQLite's v20_rollover_and_statements.
        ("v22_rollover_and_statements", [
            "ALTER TABLE plans ADD COLUMN rollover TEXT",
            "ALTER TABLE workspaces ADD COLUMN rollover TEXT",
            "ALTER TABLE transactions ADD COLUMN detail TEXT",
            """
            CREATE TABLE statements (
                workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                number BIGINT NOT NULL CHECK (number >= 1),
                from_at BIGINT NOT NULL,
                to_at BIGINT NOT NULL,
                body TEXT NOT NULL,
                digest TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (workspace_id, number)
            )
            """,
        ]),
    ]

    /// Applies every migration not yet applied. The default catalog comes with the first.
    static func migrate(_ client: PostgresClient, nowMillis: Int64, logger: Logger) async throws {
        try await client.withTransaction(logger: logger) { connection in
            _ = try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            try await connection.query("CREATE TABLE IF NOT EXISTS tribute_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)", logger: logger)
            var applied = Set<String>()
            for try await name in try await connection.query("SELECT name FROM tribute_migrations", logger: logger).decode(String.self) {
                applied.insert(name)
            }
            for migration in all where !applied.contains(migration.name) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                if migration.name == "v1_schema" { try await seedCatalog(connection, nowMillis: nowMillis, logger: logger) }
                if migration.name == "v4_payments_and_events" { try await seedPackages(connection, nowMillis: nowMillis, logger: logger) }
                try await connection.query("INSERT INTO tribute_migrations (name, applied_at) VALUES (\(migration.name), \(nowMillis))", logger: logger)
                logger.info("applied migration", metadata: ["migration": "\(migration.name)"])
            }
        }
    }

    /// SPEC §5's credit packages, as the SQLite store seeds them.
    private static func seedPackages(_ connection: PostgresConnection, nowMillis: Int64, logger: Logger) async throws {
        for package in DefaultCatalog.creditPackages {
            try await connection.query("""
                INSERT INTO credit_packages (id, name, credits_micros, price_cents, currency, active, updated_at)
                VALUES (\(package.id), \(package.name), \(package.credits.micros), \(package.priceCents), \(package.currency), \(package.active), \(nowMillis))
                """, logger: logger)
        }
    }

    /// The default catalog of `DefaultCatalog`, as the SQLite store seeds it.
    private static func seedCatalog(_ connection: PostgresConnection, nowMillis: Int64, logger: Logger) async throws {
        for plan in DefaultCatalog.plans {
            try await connection.query("""
                INSERT INTO plans (id, name, monthly_allowance_micros, overage_policy, overage_rate_micros, price_cents, updated_at)
                VALUES (\(plan.id), \(plan.name), \(plan.monthlyAllowance.micros), \(plan.overagePolicy.rawValue), \(plan.overageRate.micros), \(plan.priceCents), \(nowMillis))
                """, logger: logger)
        }
        for (actionType, cost) in DefaultCatalog.actionCosts {
            try await connection.query("INSERT INTO action_types (action_type, base_cost_micros, version, updated_at) VALUES (\(actionType), \(cost.micros), 1, \(nowMillis))", logger: logger)
            try await connection.query("INSERT INTO action_cost_versions (action_type, version, base_cost_micros, created_at) VALUES (\(actionType), 1, \(cost.micros), \(nowMillis))", logger: logger)
        }
        for kind in AccountKind.allCases where !kind.isWorkspaceAccount {
            try await connection.query("""
                INSERT INTO accounts (id, workspace_id, kind, unit, allows_negative, balance_micros)
                VALUES (\(AccountRef.system(kind).description), NULL, \(kind.rawValue), \(kind.unit.rawValue), TRUE, 0)
                """, logger: logger)
        }
    }
}
