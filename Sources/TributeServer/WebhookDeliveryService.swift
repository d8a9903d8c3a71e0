import AsyncHTTPClient
import Logging
import NIOCore
import ServiceLifecycle
import TributeCore
import TributeStore

/// Sends the outbox's events to registered endpoints after they commit: claims due
/// deliveries, posts each signed `Tribute-Signature: t=…,v1=…` (Stripe's scheme with the
/// endpoint's secret), and records the answer. A `2xx` is delivered; anything else is
/// retried by `RetryPolicy` until it gives up. Several instances share the work: a claim
/// leases a delivery to one of them.
public struct WebhookDeliveryService: Service {
    let store: any TributeStore
    let policy: RetryPolicy
    let pollMillis: Int64
    let http: HTTPClient
    let logger: Logger

    /// Longer than one attempt can take, so that a lease ends only if its worker died.
    static let leaseMillis: Int64 = 60_000
    static let timeoutSeconds: Int64 = 10
    static let batchSize = 32

    public init(store: any TributeStore, policy: RetryPolicy = .standard, pollMillis: Int64 = 500, http: HTTPClient = .shared, logger: Logger) {
        self.store = store
        self.policy = policy
        self.pollMillis = max(10, pollMillis)
        self.http = http
        self.logger = logger
    }

    /// Runs until the service group shuts down; a shutdown is a normal end, not an error.
    public func run() async throws {
        await cancelWhenGracefulShutdown { await loop() }
    }

    func loop() async {
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
                for job in jobs { group.addTask { await deliver(job) } }
            }
        }
    }

    func deliver(_ job: DeliveryJob) async {
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
            let response = try await http.execute(request, timeout: .seconds(WebhookDeliveryService.timeoutSeconds))
            statusCode = Int(response.status.code)
            _ = try? await response.body.collect(upTo: 64 * 1024)
            if !(200..<300).contains(Int(response.status.code)) { failure = "HTTP \(response.status.code)" }
        } catch {
            failure = "\(error)"
        }
        let next = failure == nil ? nil : policy.nextAttemptAt(afterAttempt: job.attempt, nowMillis: store.nowMillis())
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
