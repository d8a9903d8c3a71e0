import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import TributeCore
import TributePayments
import TributeStore

/// The request context of every route: Hummingbird's basic one, and the connection the
/// request came on, which a live stream closes when its client stops reading.
public struct TributeContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The request's connection (in `.router` tests, a test channel).
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Builds the HTTP application over a store: the only place that picks concrete types.
/// `services` run beside the server and shut down after it (a database pool, say).
/// `rateLimit` is the default of keys without one of their own (`TRIBUTE_RATE_LIMIT`);
/// `nil` leaves them unlimited. `webhookURLs` says which webhook URLs may be registered;
/// `httpTimeouts` how long a connection may wait for a request's head, its body, or the
/// next request. `streams` caps the live streams (`TRIBUTE_STREAMS_PER_KEY`,
/// `TRIBUTE_STREAMS_MAX`, `TRIBUTE_STREAM_MAX_SECONDS`).
public func buildApplication(
    store: some TributeStore, stripe: StripeConfiguration? = nil, rateLimit: RateLimit? = nil, host: String, port: Int, services: [any Service] = [], logger: Logger,
    webhookURLs: WebhookURLPolicy = .publicOnly, httpTimeouts: HTTPTimeouts = .standard, streams: LiveStreamSettings = .standard,
    onServerRunning: (@Sendable (Int) async -> Void)? = nil
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(store: store, stripe: stripe, rateLimit: rateLimit, webhookURLs: webhookURLs, streams: streams),
        server: httpTimeouts.serverBuilder,
        configuration: .init(address: .hostname(host, port: port), serverName: "tribute"),
        services: services,
        onServerRunning: { channel in await onServerRunning?(channel.localAddress?.port ?? port) },
        logger: logger)
}

/// Every route of the API, with the error mapping in front of them. Without `stripe` the
/// payment routes answer 503 and everything else works. `rateLimit` is the default of keys
/// without one of their own; the buckets live in this router, on the store's clock. The
/// live streams' shared readers and caps (`streams`) live in it too.
public func buildRouter(store: some TributeStore, stripe: StripeConfiguration? = nil, rateLimit: RateLimit? = nil,
                        webhookURLs: WebhookURLPolicy = .publicOnly, streams: LiveStreamSettings = .standard) -> Router<TributeContext> {
    let router = Router(context: TributeContext.self)
    router.add(middleware: ErrorMiddleware())
    var routes = RouteTable(router: router)
    let api = API(store: store, stripe: stripe, webhookURLs: webhookURLs,
                  rateLimiter: RateLimiter(defaultLimit: rateLimit, nowMillis: { store.nowMillis() }), streams: streams)
    api.register(&routes)
    Dashboard(api: api).register(&routes)
    routes.answerOtherMethodsWith405()
    return router
}

/// Registers routes and remembers which methods each path has, so that any other method on
/// a known path is answered `405 Method Not Allowed` rather than `404`.
struct RouteTable {
    let router: Router<TributeContext>
    private var methods: [String: [HTTPRequest.Method]] = [:]
    private var order: [String] = []

    init(router: Router<TributeContext>) { self.router = router }

    mutating func on(_ path: String, _ method: HTTPRequest.Method, _ handler: @escaping @Sendable (Request, TributeContext) async throws -> Response) {
        if methods[path] == nil { order.append(path) }
        methods[path, default: []].append(method)
        router.on(RouterPath(path), method: method, use: handler)
    }

    func answerOtherMethodsWith405() {
        let all: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options, .trace, .connect, HTTPRequest.Method("QUERY")!]
        for path in order {
            let allowed = methods[path] ?? []
            let allow = allowed.map(\.rawValue).joined(separator: ", ")
            for method in all where !allowed.contains(method) {
                router.on(RouterPath(path), method: method) { _, _ -> Response in
                    var error = APIError(status: .methodNotAllowed, code: "method_not_allowed", message: "Allowed: \(allow)")
                    error.headers[.allow] = allow
                    throw error
                }
            }
        }
    }
}
