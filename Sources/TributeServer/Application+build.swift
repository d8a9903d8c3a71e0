import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import TributeCore
import TributePayments
import TributeStore

/// Builds the HTTP application over a store: the only place that picks concrete types.
/// `services` run beside the server and shut down after it (a database pool, say).
/// `rateLimit` is the default of keys without one of their own (`TRIBUTE_RATE_LIMIT`);
/// `nil` leaves them unlimited. `webhookURLs` says which webhook URLs may be registered;
/// `httpTimeouts` how long a connection may wait for a request's head, its body, or the
/// next request. `streams` caps the live streams (`TRIBUTE_STREAMS_PER_KEY`,
/// `TRIBUTE_STREAMS_MAX`, `TRIBUTE_STREAM_MAX_SECONDS`). `metrics` is what `/metrics`
/// shows (one per application; the webhook worker records into the same one), and
/// `monitoring` its token and the request log's switch. `limits` caps what callers may make
/// (budgets per workspace, webhook endpoints, API keys). `unauthenticatedRateLimit` limits
/// requests without a valid key per client address (`TRIBUTE_UNAUTHENTICATED_RATE_LIMIT`);
/// `nil` leaves them unlimited.
public func buildApplication(
    store: some TributeStore, stripe: StripeConfiguration? = nil, rateLimit: RateLimit? = nil, host: String, port: Int, services: [any Service] = [], logger: Logger,
    webhookURLs: WebhookURLPolicy = .publicOnly, httpTimeouts: HTTPTimeouts = .standard, streams: LiveStreamSettings = .standard,
    metrics: TributeMetrics = TributeMetrics(), monitoring: MonitoringSettings = .standard, limits: CollectionLimits = .standard,
    unauthenticatedRateLimit: RateLimit? = .unauthenticatedStandard,
    onServerRunning: (@Sendable (Int) async -> Void)? = nil
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(store: store, stripe: stripe, rateLimit: rateLimit, webhookURLs: webhookURLs, streams: streams, metrics: metrics, monitoring: monitoring,
                            limits: limits, unauthenticatedRateLimit: unauthenticatedRateLimit),
        server: httpTimeouts.serverBuilder,
        configuration: .init(address: .hostname(host, port: port), serverName: "tribute"),
        services: services,
        onServerRunning: { channel in await onServerRunning?(channel.localAddress?.port ?? port) },
        logger: RequestID.tagging(logger))
}

/// Every route of the API and the dashboard, with the request id, metrics and log in front
/// of everything, then bodiless answers to `HEAD`, the error mapping, and the 405 answer behind them. Without `stripe`
/// the payment routes answer 503 and everything else works. `rateLimit` is the default of
/// keys without one of their own; the buckets live in this router, on the store's clock.
/// The live streams' shared readers and caps (`streams`) live in it too. The store's batch
/// reports go to `metrics` from now on. `limits` caps what callers may make.
/// `unauthenticatedRateLimit` limits requests without a valid key per client address.
public func buildRouter(store: some TributeStore, stripe: StripeConfiguration? = nil, rateLimit: RateLimit? = nil,
                        webhookURLs: WebhookURLPolicy = .publicOnly, streams: LiveStreamSettings = .standard,
                        metrics: TributeMetrics = TributeMetrics(), monitoring: MonitoringSettings = .standard,
                        limits: CollectionLimits = .standard, unauthenticatedRateLimit: RateLimit? = .unauthenticatedStandard) -> Router<TributeContext> {
    // `HEAD` wherever there is a `GET`, by the `GET` route (see `HeadMiddleware`).
    let router = Router(context: TributeContext.self, options: .autoGenerateHeadEndpoints)
    // First: it sees every answer, the error middleware's included, as its status.
    router.add(middleware: MonitoringMiddleware(metrics: metrics, logRequests: monitoring.logRequests))
    // Then: every answer to a `HEAD`, an error's too, loses its body.
    router.add(middleware: HeadMiddleware())
    router.add(middleware: ErrorMiddleware())
    if let batches = store.batchMetrics { metrics.connect(batches) }
    let auth = Auth(store: store, rateLimiter: RateLimiter(defaultLimit: rateLimit, nowMillis: { store.nowMillis() }),
                    unauthenticated: unauthenticatedRateLimit.map { limit in AddressRateLimiter(limit: limit, nowMillis: { store.nowMillis() }) })
    let purchases = CreditPurchases(store: store, stripe: stripe)
    let streamHub = StreamHub(store: store, settings: streams)
    let collections = [
        SystemRoutes(store: store).endpoints,
        MetricsRoutes(store: store, metrics: metrics, token: monitoring.metricsToken).endpoints,
        AuthorizeRoutes(store: store, auth: auth, metrics: metrics).endpoints,
        HoldRoutes(store: store, auth: auth, metrics: metrics).endpoints,
        WorkspaceRoutes(store: store, auth: auth, limits: limits).endpoints,
        GrantRoutes(store: store, auth: auth).endpoints,
        StatementRoutes(store: store, auth: auth).endpoints,
        CatalogRoutes(store: store, auth: auth).endpoints,
        LedgerRoutes(store: store, auth: auth).endpoints,
        CorrectionRoutes(store: store, auth: auth).endpoints,
        KeyRoutes(store: store, auth: auth, limits: limits).endpoints,
        PaymentRoutes(store: store, auth: auth, purchases: purchases).endpoints,
        AutoTopupRoutes(store: store, auth: auth, purchases: purchases).endpoints,
        WebhookRoutes(store: store, auth: auth, webhookURLs: webhookURLs, limits: limits).endpoints,
        EventRoutes(auth: auth, streams: streamHub).endpoints,
        Dashboard(store: store, auth: auth, purchases: purchases, streams: streamHub, webhookURLs: webhookURLs, limits: limits,
                  failedSignIns: AddressRateLimiter(limit: DashboardSession.failedSignInLimit, nowMillis: { store.nowMillis() })).endpoints,
    ]
    for collection in collections { router.addRoutes(collection) }
    // Last: it then wraps only the router's "no such route" answer (see the type).
    router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
    return router
}
