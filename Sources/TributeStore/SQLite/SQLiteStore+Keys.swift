import GRDB
import TributeCore

extension SQLiteStore {
    public func createAPIKey(role: Role, workspaceIds: [String], name: String?, rateLimit: RateLimit?, maxKeys: Int) async throws -> (APIKeyView, secret: String) {
        let issue = KeyIssue(role: role, workspaceIds: workspaceIds, name: name, rateLimit: rateLimit, nowMillis: clock.nowMillis())
        try await write { db in
            for workspaceId in workspaceIds { try SQLiteStore.requireWorkspace(db, workspaceId) }
            // The one writer: no other key is created between the count and the insert.
            try APIKeyRows.checkRoom(count: try db.one(APIKeyRows.liveCount(upTo: maxKeys)) { try $0.int() }, maxKeys: maxKeys)
            try db.run(issue.insert)
        }
        return (issue.view, issue.secret)
    }

    public func apiKeys() async throws -> [APIKeyView] {
        try await pool.read { db in try db.all(APIKeyRows.allLive, APIKeyRows.view) }
    }

    public func updateAPIKey(id: String, patch: APIKeyPatch) async throws -> APIKeyView {
        try await keyCache.clearing {
            try await write { db in
                let stored = try db.one(APIKeyRows.live(id: id), APIKeyRows.view)
                if patch.status == .frozen { try APIKeyRows.checkFreeze(stored, patch, others: try db.all(APIKeyRows.otherActiveAdmins(excluding: id), APIKeyRows.adminRow)) }
                let (view, update) = try APIKeyView.patched(stored, id: id, by: patch, nowMillis: self.clock.nowMillis())
                try db.run(update)
                return view
            }
        }
    }

    public func revokeAPIKey(id: String) async throws {
        let revoke = APIKeyRows.revoke(id: id, nowMillis: clock.nowMillis())
        try await keyCache.clearing {
            try await write { db in
                guard try db.runChangingRows(revoke) else { throw TributeError.apiKeyNotFound(id) }
            }
        }
    }

    public func principal(secret: String) async throws -> Principal? {
        try await keyCache.principal(secret: secret, nowMillis: clock.nowMillis()) { hash in
            try await pool.read { db in try db.one(APIKeyRows.principal(secretHash: hash), APIKeyRows.principal) }
        }
    }
}
