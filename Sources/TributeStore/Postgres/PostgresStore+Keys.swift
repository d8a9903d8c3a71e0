import PostgresNIO
import TributeCore

extension PostgresStore {
    public func createAPIKey(role: Role, workspaceIds: [String], name: String?, rateLimit: RateLimit?, maxKeys: Int) async throws -> (APIKeyView, secret: String) {
        let issue = KeyIssue(role: role, workspaceIds: workspaceIds, name: name, rateLimit: rateLimit, nowMillis: clock.nowMillis())
        try await transaction { connection in
            for workspaceId in workspaceIds { try await PostgresStore.requireWorkspace(connection, workspaceId) }
            // Key creations (admin only) take turns, on every instance, so that no other one
            // inserts between this count and this insert. Verifying a key only reads the
            // table, and a sign-in's row lock does not conflict with this one.
            try await connection.run(StoreStatement("LOCK TABLE api_keys IN SHARE ROW EXCLUSIVE MODE"))
            try APIKeyRows.checkRoom(count: try await connection.one(APIKeyRows.liveCount(upTo: maxKeys)) { try $0.int() }, maxKeys: maxKeys)
            try await connection.run(issue.insert)
        }
        return (issue.view, issue.secret)
    }

    public func apiKeys() async throws -> [APIKeyView] {
        try await read { connection in try await connection.all(APIKeyRows.allLive, APIKeyRows.view) }
    }

    public func updateAPIKey(id: String, patch: APIKeyPatch) async throws -> APIKeyView {
        try await keyCache.clearing {
            try await transaction { connection in
                // Locked, so that two edits at once each keep the other's change.
                if patch.status == .frozen {
                    let others = try await connection.all(APIKeyRows.otherActiveAdmins(excluding: id).appending("FOR UPDATE"), APIKeyRows.adminRow)
                    try APIKeyRows.checkFreeze(try await connection.one(APIKeyRows.live(id: id), APIKeyRows.view), patch, others: others)
                }
                let stored = try await connection.one(APIKeyRows.live(id: id).appending("FOR UPDATE"), APIKeyRows.view)
                let (view, update) = try APIKeyView.patched(stored, id: id, by: patch, nowMillis: self.clock.nowMillis())
                try await connection.run(update)
                return view
            }
        }
    }

    public func revokeAPIKey(id: String) async throws {
        let revoke = APIKeyRows.revoke(id: id, nowMillis: clock.nowMillis())
        try await keyCache.clearing {
            try await transaction { connection in
                guard try await connection.runChangingRows(revoke) else { throw TributeError.apiKeyNotFound(id) }
            }
        }
    }

    /// Verified keys are cached for a few seconds; a key revoked or changed through another
    /// instance stops working, or gets its new rate limit, there within that time.
    public func principal(secret: String) async throws -> Principal? {
        try await keyCache.principal(secret: secret, nowMillis: clock.nowMillis()) { hash in
            try await read { connection in try await connection.one(APIKeyRows.principal(secretHash: hash), APIKeyRows.principal) }
        }
    }
}
