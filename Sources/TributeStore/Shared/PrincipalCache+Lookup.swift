import TributeCore

extension PrincipalCache {
    /// The principal of a presented API key secret: from the cache when it was verified in
    /// the last seconds, else from `read` (given the secret's SHA-256), which then fills the
    /// cache unless a clear came in between.
    func principal(secret: String, nowMillis: Int64, read: (_ secretHash: String) async throws -> Principal?) async throws -> Principal? {
        let hash = Hex.sha256(secret)
        if let cached = get(hash, nowMillis: nowMillis) { return cached }
        let generation = currentGeneration()
        guard let principal = try await read(hash) else { return nil }
        put(hash, principal, nowMillis: nowMillis, generation: generation)
        return principal
    }

    /// Runs `write`, a change to API keys, then forgets every verified key, so that the
    /// change applies to the next call (other instances see it when their entries expire).
    func clearing<T>(after write: () async throws -> T) async throws -> T {
        let result = try await write()
        clear()
        return result
    }
}
