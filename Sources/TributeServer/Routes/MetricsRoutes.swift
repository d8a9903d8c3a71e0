import Hummingbird
import TributeCore
import TributeStore

/// `GET /metrics` (SPEC §3.4): the application's metrics in Prometheus' text format. Open
/// like `/healthz` unless `TRIBUTE_METRICS_TOKEN` is set; then only
/// `Authorization: Bearer <token>` reads it (API keys do not). The gauges that describe the
/// database — open holds, whether it answers — are read at the scrape, not kept up to date
/// on every call.
struct MetricsRoutes<Store: TributeStore>: Sendable {
    let store: Store
    let metrics: TributeMetrics
    /// The SHA-256 of `TRIBUTE_METRICS_TOKEN`, hex; `nil` when `/metrics` is open.
    let tokenDigest: String?
    /// When the database gauges were last read: at most once a second, however often
    /// `/metrics` is called (it may be open to anyone), so that scrapes cannot load the
    /// database.
    let lastRead = DatabaseGaugeClock()

    init(store: Store, metrics: TributeMetrics, token: String?) {
        self.store = store
        self.metrics = metrics
        tokenDigest = token.map(Hex.sha256)
    }

    /// The text format's media type, version 0.0.4.
    static var contentType: String { "text/plain; version=0.0.4; charset=utf-8" }

    var endpoints: RouteCollection<TributeContext> {
        RouteCollection(context: TributeContext.self)
            .get("/metrics", use: scrape)
    }

    /// - Throws: 401 `unauthenticated` when a token is set and the request does not carry it.
    @Sendable func scrape(_ request: Request, _ context: TributeContext) async throws -> Response {
        guard isAuthorized(request) else {
            var error = APIError(status: .unauthorized, code: "unauthenticated", message: "The metrics token is required: Authorization: Bearer <token>")
            error.headers[.wwwAuthenticate] = "Bearer"
            throw error
        }
        if lastRead.claim(nowMillis: store.nowMillis()) {
            let ready = await store.isReady()
            metrics.databaseUp.record(ready ? 1 : 0)
            // A database that does not answer leaves the last count, and says so through
            // `tribute_database_up`, rather than failing the whole scrape.
            if ready, let count = try? await store.openHoldCount() { metrics.holdsOpen.record(count) }
        }
        let body = metrics.registry.emitToBuffer()
        return Response(status: .ok, headers: [.contentType: Self.contentType], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Whether the request may read the metrics: always without a token; with one, when its
    /// bearer credential has the same SHA-256, compared in constant time.
    func isAuthorized(_ request: Request) -> Bool {
        guard let tokenDigest else { return true }
        guard let given = Auth<Store>.bearerSecret(request) else { return false }
        return Hex.constantTimeEqual(Array(Hex.sha256(given).utf8), Array(tokenDigest.utf8))
    }
}

/// The time of the last read of the database gauges, claimed by one scrape a second.
final class DatabaseGaugeClock: @unchecked Sendable {
    static let intervalMillis: Int64 = 1_000
    private let lock = Lock()
    // Guarded by `lock`.
    private var lastMillis: Int64?

    /// Whether this scrape reads the database: the first one, then one a second.
    func claim(nowMillis: Int64) -> Bool {
        lock.withLock {
            if let lastMillis, nowMillis >= lastMillis, nowMillis - lastMillis < Self.intervalMillis { return false }
            lastMillis = nowMillis
            return true
        }
    }
}
