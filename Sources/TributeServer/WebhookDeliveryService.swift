import AsyncHTTPClient
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import TributeCore
import TributeStore

/// Sends the outbox's events to registered endpoints after they commit: claims due
/// deliveries, posts each signed `Tribute-Signature: t=…,v1=…` (Stripe's scheme with the
/// endpoint's secret), and records the answer. A `2xx` is delivered; anything else is
/// retried by `RetryPolicy` until it gives up. Several instances share the work: a claim
/// leases a delivery to one of them.
///
/// No receiver can hold up the others. Each attempt has one deadline (`attemptTimeoutMillis`,
/// 10 s) from its start to the last byte of the answer: a receiver that sends its head and
/// then trickles the body, or never ends it, is cut there and the attempt failed. The
/// worker keeps up to `maxInFlight` deliveries going and claims more as each one ends,
/// never waiting for the slowest; at most `maxInFlightPerEndpoint` of them go to one
/// endpoint, so an endpoint's stuck attempts and backlog leave the other places to the rest.
///
/// Unless `webhookURLs` allows private addresses, each attempt first resolves the URL's
/// host and refuses (a failed attempt, with the reason in the log) if any address is not
/// public; redirects are never followed, and a `3xx` is a failed attempt. The HTTP client
/// resolves the name again when it connects, so a DNS server that answers a public address
/// to the check and a private one a moment later can still win that race: the check closes
/// names that simply point inward and slow rebinding, not a resolver that changes its answer
/// within milliseconds.
public struct WebhookDeliveryService: Service {
    let store: any EventLog & StoreOperations
    let policy: RetryPolicy
    let pollMillis: Int64
    let webhookURLs: WebhookURLPolicy
    /// The addresses a host name resolves to (`getaddrinfo` on NIO's thread pool).
    let resolve: @Sendable (String) async throws -> [IPAddress]
    let logger: Logger
    /// Counts each attempt by its result (`tribute_webhook_deliveries_total`).
    let metrics: TributeMetrics?
    /// How long one attempt may take, from its start to the last byte of the answer.
    let attemptTimeoutMillis: Int64
    /// The most deliveries in flight at once.
    let maxInFlight: Int
    /// The most deliveries in flight to one endpoint.
    let maxInFlightPerEndpoint: Int

    /// Longer than one attempt can take, so that a lease ends only if its worker died.
    static let leaseMillis: Int64 = 60_000
    public static let defaultAttemptTimeoutMillis: Int64 = 10_000
    /// The longest attempt allowed: half the lease leaves the rest of it for recording
    /// the answer.
    static let maxAttemptTimeoutMillis: Int64 = leaseMillis / 2
    public static let defaultMaxInFlight = 32
    public static let defaultMaxInFlightPerEndpoint = 4
    /// The most of a receiver's answer read (the status decides; the body is read so that
    /// the connection can be used again).
    static let maxAnswerBytes = 64 * 1024

    public init(store: any EventLog & StoreOperations, policy: RetryPolicy = .standard, pollMillis: Int64 = 500, webhookURLs: WebhookURLPolicy = .publicOnly,
                resolve: @escaping @Sendable (String) async throws -> [IPAddress] = { try await HostResolver.addresses($0) }, logger: Logger,
                metrics: TributeMetrics? = nil, attemptTimeoutMillis: Int64 = defaultAttemptTimeoutMillis,
                maxInFlight: Int = defaultMaxInFlight, maxInFlightPerEndpoint: Int = defaultMaxInFlightPerEndpoint) {
        precondition((1...WebhookDeliveryService.maxAttemptTimeoutMillis).contains(attemptTimeoutMillis), "an attempt must end well within its lease")
        precondition(maxInFlight >= 1 && (1...maxInFlight).contains(maxInFlightPerEndpoint), "at least one delivery in flight, and no more to one endpoint than in all")
        self.store = store
        self.metrics = metrics
        self.policy = policy
        self.pollMillis = max(10, pollMillis)
        self.webhookURLs = webhookURLs
        self.resolve = resolve
        self.logger = logger
        self.attemptTimeoutMillis = attemptTimeoutMillis
        self.maxInFlight = maxInFlight
        self.maxInFlightPerEndpoint = maxInFlightPerEndpoint
    }

    /// Runs until the service group shuts down; a shutdown is a normal end, not an error.
    public func run() async throws {
        // Its own client, so that no other caller's configuration can turn redirects on.
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))
        await cancelWhenGracefulShutdown { await loop(http) }
        try? await http.shutdown()
    }

    /// What the loop waits for: a delivery that ended (its place is free; `timedOut` when
    /// its deadline cut it), or the poll.
    enum Wake: Sendable {
        case ended(DeliveryJob, timedOut: Bool)
        case poll
    }

    /// The places in flight and the endpoints that are slow, as the loop keeps them.
    ///
    /// An endpoint whose last attempt ran into its deadline is slow until one ends in time:
    /// it gets one place instead of its share, and all slow endpoints together at most three
    /// quarters of the places. The last quarter stays for endpoints that answer, however
    /// many are slow (several receivers down at once, or one host under many URLs).
    struct Places {
        let maxInFlight: Int
        let perEndpoint: Int
        private(set) var inFlight = 0
        private(set) var sending: [String: Int] = [:]
        private(set) var slow: Set<String> = []

        /// The most places slow endpoints hold together.
        var slowCap: Int { max(1, maxInFlight - maxInFlight / 4) }
        var free: Int { maxInFlight - inFlight }
        var slowInFlight: Int { slow.reduce(0) { $0 + (sending[$1] ?? 0) } }

        /// What a claim is told is in flight, so that it gives no place to a slow endpoint
        /// (`slowMayClaim` false) or at most one.
        func claimView(slowMayClaim: Bool) -> [String: Int] {
            var view = sending
            for endpoint in slow { view[endpoint] = slowMayClaim ? max(sending[endpoint] ?? 0, perEndpoint - 1) : perEndpoint }
            return view
        }

        mutating func started(_ job: DeliveryJob) {
            inFlight += 1
            sending[job.endpointId, default: 0] += 1
        }

        mutating func ended(_ job: DeliveryJob, timedOut: Bool) {
            inFlight -= 1
            sending[job.endpointId, default: 1] -= 1
            if sending[job.endpointId] == 0 { sending[job.endpointId] = nil }
            if timedOut {
                // Bounded like every set a caller grows: endpoints are capped, and forgetting
                // which are slow only gives them their share back until they time out again.
                if slow.count >= 10_000 { slow.removeAll() }
                slow.insert(job.endpointId)
            } else {
                slow.remove(job.endpointId)
            }
        }
    }

    /// Claims into every free place, then waits for a delivery to end or the poll interval
    /// to pass, whichever comes first, and claims again: a slow delivery holds only its own
    /// place (and its endpoint's share), never the claiming of the next work. Endpoints that
    /// answer are served first; slow ones get what `Places` leaves them.
    func loop(_ http: HTTPClient) async {
        await withTaskGroup(of: Wake.self) { group in
            var places = Places(maxInFlight: maxInFlight, perEndpoint: maxInFlightPerEndpoint)
            var polling = false
            func claim(limit: Int, slowMayClaim: Bool) async throws {
                guard limit > 0 else { return }
                let jobs = try await store.claimDeliveries(
                    limit: limit, perEndpoint: maxInFlightPerEndpoint, inFlight: places.claimView(slowMayClaim: slowMayClaim), leaseMillis: WebhookDeliveryService.leaseMillis)
                for job in jobs {
                    places.started(job)
                    group.addTask { .ended(job, timedOut: await deliver(job, http)) }
                }
            }
            running: while !Task.isCancelled {
                do {
                    try await claim(limit: places.free, slowMayClaim: false)
                    if !places.slow.isEmpty { try await claim(limit: min(places.free, places.slowCap - places.slowInFlight), slowMayClaim: true) }
                } catch where !Task.isCancelled {
                    logger.warning("webhook deliveries could not be claimed", metadata: ["error": "\(describe(error))"])
                } catch {
                    break running  // shutting down
                }
                if !polling {
                    polling = true
                    group.addTask { [pollMillis] in try? await Task.sleep(for: .milliseconds(pollMillis)); return .poll }
                }
                switch await group.next() {
                case .ended(let job, let timedOut)?: places.ended(job, timedOut: timedOut)
                case .poll?: polling = false
                case nil: return
                }
            }
            group.cancelAll()
        }
    }

    /// Sends one attempt and records its answer.
    /// - Returns: whether the attempt's deadline cut it.
    @discardableResult
    func deliver(_ job: DeliveryJob, _ http: HTTPClient) async -> Bool {
        var request = HTTPClientRequest(url: job.url)
        request.method = .POST
        let payload = Array(job.body.utf8)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Tribute-Webhooks/1")
        request.headers.add(name: "Tribute-Event-Id", value: job.eventId)
        request.headers.add(name: "Tribute-Event-Type", value: job.eventType)
        request.headers.add(name: "Tribute-Signature", value: WebhookSignature.header(payload: payload, secret: job.secret, timestampSeconds: store.nowMillis() / 1000))
        request.body = .bytes(ByteBuffer(bytes: payload))
        let deadline = ContinuousClock.now + .milliseconds(attemptTimeoutMillis)
        var statusCode: Int?
        var failure: String?
        var timedOut = false
        do {
            // The race below keeps the time: the client's own deadline would end with the head.
            let response = try await Self.finish(by: deadline) { [self, request] in
                try await checkDestination(job.url)
                return try await http.execute(request, deadline: .distantFuture)
            }
            statusCode = Int(response.status.code)
            try await Self.finish(by: deadline) { _ = try? await response.body.collect(upTo: WebhookDeliveryService.maxAnswerBytes) }
            switch response.status.code {
            case 200..<300: break
            case 300..<400: failure = "HTTP \(response.status.code): redirects are not followed"
            default: failure = "HTTP \(response.status.code)"
            }
        } catch let refusal as WebhookURLPolicy.Refusal {
            failure = "not sent: \(refusal.description)"
        } catch is AttemptTimedOut {
            timedOut = true
            let limit = attemptTimeoutMillis % 1_000 == 0 ? "\(attemptTimeoutMillis / 1_000) s" : "\(attemptTimeoutMillis) ms"
            failure = statusCode.map { "HTTP \($0), but the answer did not end within \(limit)" } ?? "no answer within \(limit)"
        } catch {
            failure = "\(error)"
        }
        let next = failure == nil ? nil : policy.nextAttemptAt(afterAttempt: job.attempt, nowMillis: store.nowMillis())
        metrics?.recordWebhookDelivery(failure == nil ? .delivered : next == nil ? .gaveUp : .failedAttempt)
        do {
            try await store.recordDelivery(seq: job.seq, delivered: failure == nil, statusCode: statusCode, error: failure, nextAttemptAtMillis: next)
        } catch {
            // The lease runs out and the delivery is sent again: at least once, never lost.
            logger.warning("a webhook delivery could not be recorded", metadata: ["event": "\(job.eventId)", "error": "\(describe(error))"])
        }
        if let failure {
            logger.info("webhook delivery failed", metadata: ["event": "\(job.eventId)", "attempt": "\(job.attempt)", "error": "\(failure)",
                                                           "retry": "\(next == nil ? "no" : "yes")"])
        }
        return timedOut
    }

    /// An attempt passed its deadline.
    struct AttemptTimedOut: Error {}

    /// Runs `operation` and returns its result, unless `deadline` passes first: then
    /// `operation` is cancelled (the HTTP client then closes the connection) and this throws.
    /// - Throws: `AttemptTimedOut` at the deadline, else what `operation` throws.
    static func finish<T: Sendable>(by deadline: ContinuousClock.Instant, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else { throw AttemptTimedOut() }
            return result
        }
    }
}

extension WebhookDeliveryService {
    /// Refuses a URL whose host is, or resolves to, an address the policy does not allow:
    /// checked again at each attempt, since a name's addresses change and the URL may have
    /// been registered under an older rule.
    /// - Throws: `WebhookURLPolicy.Refusal`, or the resolver's error.
    func checkDestination(_ url: String) async throws {
        guard !webhookURLs.allowsPrivateAddresses else { return }
        guard let host = WebhookURLPolicy.host(ofURL: url) else { throw WebhookURLPolicy.Refusal.unresolvable(url) }
        guard case .name(let name) = try webhookURLs.check(host: host) else { return }
        try webhookURLs.check(host: name, resolvedTo: try await resolve(name))
    }
}
