import GRDB
import TributeCore

/// The `v8_holds` migration: the `holds` table, each workspace's hold accounts, and the
/// soonest open hold's expiry stored with the workspace.
enum SQLiteHoldSchema {
    /// Amount columns refuse anything but integers, as `v5_integer_amounts` made the others.
    static func create(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE holds (
                seq INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                status TEXT NOT NULL CHECK (status IN ('open', 'committed', 'released', 'expired')),
                action_type TEXT NOT NULL,
                user_id TEXT,
                agent_id TEXT,
                run_id TEXT,
                cost_version INTEGER NOT NULL CHECK (typeof(cost_version) = 'integer'),
                base_cost_micros INTEGER NOT NULL CHECK (typeof(base_cost_micros) = 'integer'),
                overage_rate_micros INTEGER NOT NULL CHECK (typeof(overage_rate_micros) = 'integer'),
                held_actions_micros INTEGER NOT NULL CHECK (typeof(held_actions_micros) = 'integer' AND held_actions_micros >= 0),
                held_allowance_micros INTEGER NOT NULL CHECK (typeof(held_allowance_micros) = 'integer' AND held_allowance_micros >= 0),
                held_credits_micros INTEGER NOT NULL CHECK (typeof(held_credits_micros) = 'integer' AND held_credits_micros >= 0),
                committed_actions_micros INTEGER NOT NULL CHECK (typeof(committed_actions_micros) = 'integer' AND committed_actions_micros >= 0),
                committed_credits_micros INTEGER NOT NULL CHECK (typeof(committed_credits_micros) = 'integer' AND committed_credits_micros >= 0),
                draws TEXT NOT NULL,
                budgets TEXT NOT NULL,
                period_start INTEGER NOT NULL CHECK (typeof(period_start) = 'integer'),
                created_at INTEGER NOT NULL CHECK (typeof(created_at) = 'integer'),
                expires_at INTEGER NOT NULL CHECK (typeof(expires_at) = 'integer'),
                updated_at INTEGER NOT NULL CHECK (typeof(updated_at) = 'integer')
            );
            CREATE INDEX holds_by_workspace ON holds(workspace_id, seq);
            CREATE INDEX holds_by_workspace_status ON holds(workspace_id, status, expires_at);
            CREATE INDEX holds_open_by_expiry ON holds(expires_at) WHERE status = 'open';
            ALTER TABLE workspaces ADD COLUMN next_hold_expiry_at INTEGER CHECK (typeof(next_hold_expiry_at) IN ('integer', 'null'));
            """)
        for id in try String.fetchAll(db, sql: "SELECT id FROM workspaces") { try createAccounts(db, workspaceId: id) }
    }

    /// The kinds of account a workspace has for its holds.
    static let accountKinds: [AccountKind] = [.heldAllowance, .heldCredits]

    /// The workspace's hold accounts, empty: made with the workspace, and by the migration
    /// for workspaces made before holds.
    static func createAccounts(_ db: Database, workspaceId id: String) throws {
        for kind in accountKinds {
            try db.execute(sql: "INSERT INTO accounts (id, workspace_id, kind, unit, allows_negative, balance_micros) VALUES (?, ?, ?, ?, 0, 0)",
                           arguments: [AccountRef(kind: kind, workspaceId: id).description, id, kind.rawValue, kind.unit.rawValue])
        }
    }
}
