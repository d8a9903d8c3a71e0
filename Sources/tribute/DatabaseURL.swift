import ArgumentParser
import Foundation
import TributeStore

/// Where the store lives, from `--database`, `TRIBUTE_DATABASE_URL` or the default.
enum DatabaseURL {
    static let defaultURL = "sqlite:tribute.sqlite"

    static func resolve(_ option: String?) -> String {
        option ?? ProcessInfo.processInfo.environment["TRIBUTE_DATABASE_URL"] ?? defaultURL
    }

    /// Opens and migrates the store a URL names.
    /// - Throws: `ValidationError` for a URL of an unknown or unsupported kind.
    static func open(_ url: String, maxBatchSize: Int = 512) throws -> SQLiteStore {
        if url.hasPrefix("sqlite:") {
            var path = String(url.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else { throw ValidationError("sqlite: needs a file path, e.g. sqlite:tribute.sqlite") }
            return try SQLiteStore(path: path, maxBatchSize: maxBatchSize)
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            throw ValidationError("PostgreSQL is not available in this build yet; use sqlite:PATH")
        }
        throw ValidationError("Unknown database URL \"\(url)\": use sqlite:PATH")
    }
}
