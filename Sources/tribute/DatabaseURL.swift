import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import TributeCore
import TributeStore

/// Where the store lives, from `--database`, `TRIBUTE_DATABASE_URL` or the default.
enum DatabaseURL {
    static let defaultURL = "sqlite:tribute.sqlite"

    static func resolve(_ option: String?) -> String {
        option ?? ProcessInfo.processInfo.environment["TRIBUTE_DATABASE_URL"] ?? defaultURL
    }

    /// The file of a `sqlite:PATH` (or `sqlite://PATH`) URL; `nil` for any other URL.
    static func sqlitePath(_ url: String) -> String? {
        guard url.hasPrefix("sqlite:") else { return nil }
        let path = url.dropFirst("sqlite:".count)
        return String(path.hasPrefix("//") ? path.dropFirst(2) : path)
    }

    /// An open, migrated store.
    enum Opened {
        case sqlite(SQLiteStore)
        case postgres(PostgresStore)

        var store: any TributeStore {
            switch self {
            case .sqlite(let store): store
            case .postgres(let store): store
            }
        }

        /// What must run beside the server (PostgreSQL's pool, shut down gracefully).
        var services: [any Service] {
            switch self {
            case .sqlite: []
            case .postgres(let store): [store]
            }
        }

        func close() async {
            if case .postgres(let store) = self { await store.shutdown() }
        }
    }

    /// Opens and migrates the store a URL names.
    /// - Throws: `ValidationError` for a URL of an unknown kind or a database that cannot be
    ///   reached.
    static func open(_ url: String, maxBatchSize: Int = 512) async throws -> Opened {
        if let path = sqlitePath(url) {
            guard !path.isEmpty else { throw ValidationError("sqlite: needs a file path, e.g. sqlite:tribute.sqlite") }
            return .sqlite(try SQLiteStore(path: path, maxBatchSize: maxBatchSize))
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            var logger = Logger(label: "tribute.postgres")
            logger.logLevel = .warning
            let store: PostgresStore
            do {
                store = try PostgresStore(url: url, logger: logger, lanes: try lanes(), timeoutSeconds: try timeoutSeconds())
            } catch let error as TributeError {
                throw ValidationError(error.message)
            }
            await store.start()
            do {
                try await store.migrate()
            } catch {
                await store.shutdown()
                throw ValidationError("cannot use the PostgreSQL database at \(redacted(url)): \(describe(error))")
            }
            return .postgres(store)
        }
        throw ValidationError("Unknown database URL \"\(redacted(url))\": use sqlite:PATH or postgres://user@host:port/database")
    }

    /// `TRIBUTE_DATABASE_TIMEOUT_SECONDS`: how long a call waits for PostgreSQL before it
    /// is answered 503.
    static func timeoutSeconds() throws -> Int64 {
        guard let text = ProcessInfo.processInfo.environment["TRIBUTE_DATABASE_TIMEOUT_SECONDS"] else { return PostgresStore.defaultTimeoutSeconds }
        guard let seconds = Int64(text), (1...3_600).contains(seconds) else {
            throw ValidationError("TRIBUTE_DATABASE_TIMEOUT_SECONDS must be a whole number of seconds from 1 to 3600")
        }
        return seconds
    }

    /// `TRIBUTE_PG_LANES`: how many queues of PostgreSQL batches run beside each other.
    static func lanes() throws -> Int {
        guard let text = ProcessInfo.processInfo.environment["TRIBUTE_PG_LANES"] else { return PostgresStore.defaultLanes }
        guard let lanes = Int(text), (1...64).contains(lanes) else {
            throw ValidationError("TRIBUTE_PG_LANES must be a whole number from 1 to 64")
        }
        return lanes
    }

    /// Runs `body` with the store open, and closes it after.
    static func withStore<T>(_ url: String, _ body: (any TributeStore) async throws -> T) async throws -> T {
        let opened = try await open(url)
        do {
            let result = try await body(opened.store)
            await opened.close()
            return result
        } catch {
            await opened.close()
            throw error
        }
    }

    /// The URL without its password, for messages and logs.
    static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}
