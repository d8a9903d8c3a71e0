import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import TributeCore

/// The store on PostgreSQL, for several stateless instances on one database.
///
/// Correctness across instances comes from the database: every change to a workspace's
/// ledger happens under that workspace's row lock (`FOR NO KEY UPDATE`), balances move by
/// deltas under `CHECK` constraints that refuse a negative workspace balance, and
/// idempotency keys are claimed by a unique primary key. Nothing a debit decides is read
/// from process memory. Authorize calls are batched (`PostgresBatcher`): one transaction
/// and a handful of round trips per batch, whatever its size.
///
/// The connection pool and the batcher run while `run()` runs (a lifecycle `Service`), or
/// after `start()` outside a service group.
public final class PostgresStore: TributeStore, Service, @unchecked Sendable {
    /// The database's URL, as given.
    public let url: String
    let client: PostgresClient
    let database: PostgresDatabase
    let clock: any WallClock
    let logger: Logger
    let keyCache = PrincipalCache()
    let batcher: PostgresBatcher
    /// Each batch's size and time, for `/metrics`.
    public let batchMetrics: BatchMetrics?
    private let runner = Lock()
    private var runTask: Task<Void, Never>?
    /// The default of `timeoutSeconds`: while PostgreSQL is down, callers hear so within
    /// seconds (503) rather than piling up.
    public static let defaultTimeoutSeconds: Int64 = 5

    /// The default of `lanes` (`TRIBUTE_PG_LANES`).
    public static let defaultLanes = PostgresBatcher.defaultLanes
    /// Pooled connections beyond the batches': reads, the sweepers, the webhook worker.
    static let connectionsBesideBatches = 4

    /// - Parameters:
    ///   - url: `postgres://user[:password]@host[:port]/database`.
    ///   - lanes: how many queues of batches run beside each other (see `PostgresBatcher`),
    ///     1 to 64.
    ///   - maxConnections: the pool's size; by default two per lane and four more.
    ///   - timeoutSeconds: how long a call waits for the database (a connection, its
    ///     queries, the commit) before it fails as unavailable.
    public init(url: String, clock: any WallClock = SystemClock(), logger: Logger = Logger(label: "tribute.postgres"),
                lanes: Int = PostgresStore.defaultLanes, maxConnections: Int? = nil,
                timeoutSeconds: Int64 = PostgresStore.defaultTimeoutSeconds) throws {
        guard timeoutSeconds > 0 else { throw TributeError.invalidValue("the database timeout must be at least one second") }
        guard (1...64).contains(lanes) else { throw TributeError.invalidValue("the lanes of batches must number from 1 to 64") }
        self.url = url
        var configuration = try PostgresStore.configuration(url)
        configuration.options.maximumConnections = maxConnections ?? lanes * PostgresLane.workers + PostgresStore.connectionsBesideBatches
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(timeoutSeconds)
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        database = PostgresDatabase(client: client, logger: logger, timeoutSeconds: timeoutSeconds)
        self.clock = clock
        self.logger = logger
        let batchMetrics = BatchMetrics(backend: "postgres")
        self.batchMetrics = batchMetrics
        batcher = PostgresBatcher(database: database, clock: clock, lanes: lanes, metrics: batchMetrics)
    }

    /// Parses a `postgres://` or `postgresql://` URL.
    /// - Throws: `TributeError.invalidValue` for anything else.
    static func configuration(_ url: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty, let user = components.user, !user.isEmpty else {
            throw TributeError.invalidValue("a PostgreSQL URL looks like postgres://user[:password]@host[:port]/database")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        return PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: database.isEmpty ? nil : database, tls: .disable)
    }

    /// Runs the pool and the batcher until the task is cancelled or the service group
    /// shuts down gracefully; queued calls are finished first.
    public func run() async throws {
        await start()
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Starts the pool and the batcher in the background (tests and one-shot commands),
    /// returning once the pool runs.
    public func start() async {
        let client = self.client, batcher = self.batcher
        await withCheckedContinuation { (started: CheckedContinuation<Void, Never>) in
            let alreadyRunning: Bool = runner.withLock {
                guard runTask == nil else { return true }
                runTask = Task {
                    await withDiscardingTaskGroup { group in
                        group.addTask {
                            started.resume()
                            await client.run()
                        }
                        group.addTask { await batcher.run() }
                    }
                }
                return false
            }
            if alreadyRunning { started.resume() }
        }
        // The pool marks itself running as its first step.
        await Task.yield()
    }

    /// Finishes queued calls, then closes every connection.
    public func shutdown() async {
        await batcher.drain()
        let task = runner.withLock { runTask }
        task?.cancel()
        await task?.value
    }

    /// Creates the schema, or brings it up to date.
    /// - Throws: `StoreUnavailable` when the database does not answer in time.
    public func migrate() async throws {
        let nowMillis = clock.nowMillis()
        try await withDeadline(seconds: database.timeoutSeconds * 2) { [client, logger] in
            try await PostgresMigrations.migrate(client, nowMillis: nowMillis, logger: logger)
        }
    }

    public func nowMillis() -> Int64 { clock.nowMillis() }

    public func isReady() async -> Bool {
        (try? await withDeadline(seconds: 2) { [client] in
            try await client.query("SELECT 1").decode(Int.self).first(where: { _ in true })
        }) == 1
    }
}

/// The pool and what every query of the store goes through: deadlines, retries of
/// transactions PostgreSQL aborted to break a deadlock, and errors mapped for callers.
struct PostgresDatabase: Sendable {
    let client: PostgresClient
    let logger: Logger
    let timeoutSeconds: Int64

    /// A transaction on a pooled connection, retried when PostgreSQL aborted it to break a
    /// deadlock or a serialization conflict (nothing of it was written then).
    @discardableResult
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                let lease = ConnectionLease()
                return try await withDeadline(seconds: timeoutSeconds, lease: lease) { [client, logger] in
                    try await client.withTransaction(logger: logger) { connection in
                        lease.hold(connection)
                        return try await body(connection)
                    }
                }
            } catch let error as PostgresTransactionError {
                // The body's own error comes back wrapped; a TributeError is the caller's.
                if let closureError = error.closureError, !PostgresDatabase.isRetryable(closureError) { throw PostgresDatabase.mapped(closureError) }
                let cause = error.closureError ?? error.beginError ?? error.commitError ?? error.rollbackError
                attempt += 1
                guard let cause, PostgresDatabase.isRetryable(cause), attempt < 5 else { throw PostgresDatabase.mapped(cause ?? error) }
            } catch {
                attempt += 1
                guard PostgresDatabase.isRetryable(error), attempt < 5 else { throw PostgresDatabase.mapped(error) }
            }
        }
    }

    /// A read on a pooled connection.
    @discardableResult
    func read<T: Sendable>(deadlineSeconds: Int64? = nil, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            let lease = ConnectionLease()
            return try await withDeadline(seconds: deadlineSeconds ?? timeoutSeconds, lease: lease) { [client] in
                try await client.withConnection { connection in
                    lease.hold(connection)
                    return try await body(connection)
                }
            }
        } catch {
            throw PostgresDatabase.mapped(error)
        }
    }

    static func isRetryable(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40P01" || state == "40001"
    }

    /// Caller errors pass through; a database that cannot be reached becomes
    /// `StoreUnavailable`, which the API answers with 503.
    static func mapped(_ error: any Error) -> any Error {
        if error is TributeError || error is StoreUnavailable { return error }
        guard let error = error as? PSQLError else { return error }
        // No answer from the server (the connection closed, a COMMIT without a reply): the
        // caller cannot know whether it committed, and retries under its key.
        guard let state = error.serverInfo?[.sqlState] else { return StoreUnavailable() }
        return isUnavailability(state) ? StoreUnavailable() : error
    }

    /// SQLSTATEs that say the database cannot serve now, not that the statement is wrong:
    /// a failover's (`57P01` the primary shutting down, `57P03` a node not accepting
    /// connections yet, `25006` a standby still read-only, class `08` a connection
    /// failure), too many connections (`53300`), and a deadlock or serialization conflict
    /// still there after the retries (`40P01`, `40001`). Each is a retryable `503`.
    static func isUnavailability(_ state: String) -> Bool {
        state.hasPrefix("08") || state.hasPrefix("57P") || ["25006", "53300", "40P01", "40001"].contains(state)
    }
}

/// An error for a log line: a PostgreSQL error as its SQLSTATE and message only (its query
/// and arguments may hold secrets); anything else as itself.
public func describe(_ error: any Error) -> String {
    if let error = error as? PSQLError {
        guard let info = error.serverInfo else { return "PostgreSQL: \(error.code)" }
        return "PostgreSQL \(info[.sqlState] ?? "?"): \(info[.message] ?? "")"
    }
    return "\(error)"
}

/// The database did not answer in time or could not be reached.
public struct StoreUnavailable: Error, Sendable, CustomStringConvertible {
    public init() {}
    public var description: String { "the database is unavailable" }
}

/// The connection a call holds, for its deadline to close: a query on a connection whose
/// peer went silent (a primary lost in a failover) never answers and ignores cancellation,
/// and would keep the connection leased, and the pool short of it, for good. Closed, it
/// fails its query at once and the pool replaces it.
final class ConnectionLease: @unchecked Sendable {
    private let lock = Lock()
    private var connection: PostgresConnection?
    private var expired = false

    func hold(_ connection: PostgresConnection) {
        let close = lock.withLock {
            self.connection = connection
            return expired
        }
        if close { Self.close(connection) }
    }

    func expire() {
        let held = lock.withLock {
            expired = true
            return connection
        }
        if let held { Self.close(held) }
    }

    private static func close(_ connection: PostgresConnection) {
        Task { try? await connection.close() }
    }
}

/// Runs `body`, failing with `StoreUnavailable` if it takes longer than `seconds`: at the
/// deadline the caller is answered whether or not `body` has stopped (a query on a dead
/// connection may not), `body` is cancelled and the connection in `lease` closed.
func withDeadline<T: Sendable>(seconds: Int64, lease: ConnectionLease? = nil, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let race = DeadlineRace<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            race.start(continuation,
                       work: Task { race.finish(with: await Result(catching: body)) },
                       timer: Task {
                           try await Task.sleep(for: .seconds(seconds))
                           if race.finish(with: .failure(StoreUnavailable())) { lease?.expire() }
                       })
        }
    } onCancel: {
        race.cancel()
    }
}

/// Who answers first, the work or its deadline; the other is cancelled.
final class DeadlineRace<T: Sendable>: @unchecked Sendable {
    private let lock = Lock()
    private var continuation: CheckedContinuation<T, any Error>?
    private var result: Result<T, any Error>?
    private var work: Task<Void, Never>?
    private var timer: Task<Void, any Error>?

    func start(_ continuation: CheckedContinuation<T, any Error>, work: Task<Void, Never>, timer: Task<Void, any Error>) {
        let finished: Result<T, any Error>? = lock.withLock {
            self.work = work
            self.timer = timer
            if let result { return result }
            self.continuation = continuation
            return nil
        }
        if let finished {
            work.cancel()
            timer.cancel()
            continuation.resume(with: finished)
        }
    }

    /// - Returns: whether this was the first answer.
    @discardableResult
    func finish(with result: Result<T, any Error>) -> Bool {
        let (first, continuation, work, timer) = lock.withLock { () -> (Bool, CheckedContinuation<T, any Error>?, Task<Void, Never>?, Task<Void, any Error>?) in
            guard self.result == nil else { return (false, nil, nil, nil) }
            self.result = result
            let taken = self.continuation
            self.continuation = nil
            return (true, taken, self.work, self.timer)
        }
        guard first else { return false }
        work?.cancel()
        timer?.cancel()
        continuation?.resume(with: result)
        return true
    }

    func cancel() {
        let (work, timer) = lock.withLock { (self.work, self.timer) }
        work?.cancel()
        timer?.cancel()
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

extension PostgresStore {
    @discardableResult
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await database.transaction(body)
    }

    @discardableResult
    func read<T: Sendable>(deadlineSeconds: Int64? = nil, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await database.read(deadlineSeconds: deadlineSeconds, body)
    }

    /// Runs raw SQL in its own transaction: for tests that tamper with rows, and tools.
    public func executeUnchecked(sql: String) async throws {
        try await transaction { connection in
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: PostgresLedger.logger)
            return true
        }
    }
}

extension PostgresStore {
    /// Runs one raw statement outside any transaction (`CREATE DATABASE`, say): for tools and tests.
    public func executeOutsideTransaction(sql: String) async throws {
        try await read { connection in
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: PostgresLedger.logger)
            return true
        }
    }
}
