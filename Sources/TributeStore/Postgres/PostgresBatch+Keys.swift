import Logging
import PostgresNIO
import TributeCore

extension PostgresBatch {
    /// The batch's idempotency keys: which job of the batch each belongs to, and which the
    /// batch claimed (and gives back if that job fails).
    struct Keys {
        var firstWithKey: [KeyRef: Int] = [:]
        var claimed = Set<KeyRef>()
        /// Keys an earlier transaction holds: the request they came with and its answer.
        /// Every job of the batch with such a key is measured against these, not against
        /// the batch's first job with it.
        var stored: [KeyRef: (requestHash: String, answer: AuthorizeOutcome?)] = [:]
    }

    /// 2. The first job of the batch with a key claims it; later ones with the same key
    ///    replay its answer. Keys are claimed in sorted order. A key claimed before is
    ///    replayed, or refused when it came with another request.
    static func claimKeys(
        _ jobs: [PostgresBatcher.Job], workspaceOf: [String?], _ results: inout Results, _ connection: PostgresConnection, nowMillis: Int64, logger: Logger
    ) async throws -> Keys {
        var keys = Keys()
        var hashes: [KeyRef: String] = [:]
        for (index, job) in jobs.enumerated() where results[index] == nil {
            guard let claim = job.claim, let workspaceId = workspaceOf[index] else { continue }
            let key = KeyRef(workspaceId: workspaceId, key: claim.key)
            if keys.firstWithKey[key] == nil {
                keys.firstWithKey[key] = index
                hashes[key] = claim.requestHash
            }
        }
        guard !keys.firstWithKey.isEmpty else { return keys }
        let sorted = keys.firstWithKey.keys.sorted { ($0.workspaceId, $0.key) < ($1.workspaceId, $1.key) }
        let rows = try await connection.query("""
            INSERT INTO idempotency_keys (workspace_id, key, request_hash, created_at)
            SELECT w, k, h, \(nowMillis) FROM unnest(\(sorted.map(\.workspaceId))::text[], \(sorted.map(\.key))::text[], \(sorted.map { hashes[$0] ?? "" })::text[]) AS c(w, k, h)
            ORDER BY w, k
            ON CONFLICT DO NOTHING RETURNING workspace_id, key
            """, logger: logger)
        for try await (workspaceId, key) in rows.decode((String, String).self) { keys.claimed.insert(KeyRef(workspaceId: workspaceId, key: key)) }
        let taken = sorted.filter { !keys.claimed.contains($0) }
        guard !taken.isEmpty else { return keys }
        let existing = try await connection.query("""
            SELECT k.workspace_id, k.key, k.request_hash, k.response_body, k.approved FROM idempotency_keys k
            JOIN unnest(\(taken.map(\.workspaceId))::text[], \(taken.map(\.key))::text[]) AS c(w, k) ON k.workspace_id = c.w AND k.key = c.k
            """, logger: logger)
        for try await (workspaceId, key, hash, body, approved) in existing.decode((String, String, String, String?, Bool?).self) {
            let ref = KeyRef(workspaceId: workspaceId, key: key)
            guard let index = keys.firstWithKey[ref] else { continue }
            let answer = body.flatMap { body in approved.map { AuthorizeOutcome(body: body, replayed: true, approved: $0) } }
            keys.stored[ref] = (hash, answer)
            if hash != hashes[ref] {
                results[index] = .failure(TributeError.idempotencyKeyReused)
            } else if let body, let approved {
                results[index] = .success(AuthorizeOutcome(body: body, replayed: true, approved: approved))
            }
        }
        return keys
    }
}
