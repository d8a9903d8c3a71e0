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
/// Unless `webhookURLs` allows private addresses, each attempt first resolves the URL's
/// host and refuses (a failed attempt, with the reason in the log) if any address is not
/// public; redirects are never followed, and a `3xx` is a failed attempt. The HTTP client
/// resolves the name again when it connects, so a DNS server that answers a public address
/// to the check and a private one a moment later can still win that race: the check closes
/// names that simply point inward and slow rebinding, not a resolver that changes its answer
/// within milliseconds.
public struct WebhookDeliveryService: Service {
    let store: any TributeStore
    let policy: RetryPolicy
    let pollMillis: Int64
    let webhookURLs: WebhookURLPolicy
    /// The addresses a host name resolves to (`getaddrinfo` on NIO's thread pool).
    let resolve: @Sendable (String) async throws -> [IPAddress]
    let logger: Logger
    /// Counts each attempt by its result (`tribute_webhook_deliveries_total`).
    let metrics: TributeMetrics?

    /// Longer than one attempt can take, so that a lease ends only if its worker died.
    static let leaseMillis: Int64 = 60_000
    static let timeoutSeconds: Int64 = 10
    static let batchSize = 32

    public init(store: any TributeStore, policy: RetryPolicy = .standard, pollMillis: Int64 = 500, webhookURLs: WebhookURLPolicy = .publicOnly,
                resolve: @escaping @Sendable (String) async throws -> [IPAddress] = { try await HostResolver.addresses($0) }, logger: Logger,
                metrics: TributeMetrics? = nil) {
        self.store = store
        self.metrics = metrics
        self.policy = policy
        self.pollMillis = max(10, pollMillis)
        self.webhookURLs = webhookURLs
        self.resolve = resolve
        self.logger = logger
    }

    /// Runs until the service group shuts down; a shutdown is a normal end, not an error.
    public func run() async throws {
        // Its own client, so that no other caller's configuration can turn redirects on.
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))
        await cancelWhenGracefulShutdown { await loop(http) }
        try? await http.shutdown()
    }

    func loop(_ http: HTTPClient) async {
        while !Task.isCancelled {
            let jobs: [DeliveryJob]
            do {
                jobs = try await store.claimDeliveries(limit: WebhookDeliveryService.batchSize, leaseMillis: WebhookDeliveryService.leaseMillis)
            } catch {
                logger.warning("webhook deliveries could not be claimed", metadata: ["error": "\(describe(error))"])
                jobs = []
            }
            if jobs.isEmpty {
                try? await Task.sleep(for: .milliseconds(pollMillis))
                continue
            }
            await withTaskGroup(of: Void.self) { group in
                for job in jobs { group.addTask { await deliver(job, http) } }
            }
        }
    }

    func deliver(_ job: DeliveryJob, _ http: HTTPClient) async {
        var request = HTTPClientRequest(url: job.url)
        request.method = .POST
        let payload = Array(job.body.utf8)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "Tribute-Webhooks/1")
        request.headers.add(name: "Tribute-Event-Id", value: job.eventId)
        request.headers.add(name: "Tribute-Event-Type", value: job.eventType)
        request.headers.add(name: "Tribute-Signature", value: WebhookSignature.header(payload: payload, secret: job.secret, timestampSeconds: store.nowMillis() / 1000))
        request.body = .bytes(ByteBuffer(bytes: payload))
        var statusCode: Int?
        var failure: String?
        do {
            try await checkDestination(job.url)
            let response = try await http.execute(request, timeout: .seconds(WebhookDeliveryService.timeoutSeconds))
            statusCode = Int(response.status.code)
            _ = try? await response.body.collect(upTo: 64 * 1024)
            switch response.status.code {
            case 200..<300: break
            case 300..<400: failure = "HTTP \(response.status.code): redirects are not followed"
            default: failure = "HTTP \(response.status.code)"
            }
        } catch let refusal as WebhookURLPolicy.Refusal {
            failure = "not sent: \(refusal.description)"
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
