import CoreMetrics
import Prometheus
import TributeCore
import TributeStore

/// The metrics of one application (SPEC §3.4, docs/operations.md): a Prometheus registry of
/// its own, which `GET /metrics` renders, and the swift-metrics handles the server records.
///
/// One per application and never the process-wide `MetricsSystem`: tests build many
/// applications in one process, and `MetricsSystem.bootstrap` may run only once. Every
/// handle is made through this registry's factory (the initializers that take `factory:`)
/// and kept, so that recording is an atomic add or a short lock, never a registry lookup.
public final class TributeMetrics: Sendable {
    /// The exported names, on which docs/operations.md and its alerts rely.
    enum Name {
        static let requests = "tribute_http_requests_total"
        static let requestSeconds = "tribute_http_request_duration_seconds"
        static let decisions = "tribute_decisions_total"
        static let holdsOpen = "tribute_holds_open"
        static let databaseUp = "tribute_database_up"
        static let batchSize = "tribute_batch_size"
        static let batchCommitSeconds = "tribute_batch_commit_seconds"
        static let webhookDeliveries = "tribute_webhook_deliveries_total"
    }

    /// 0.1 ms to 10 s: an authorize call takes about a millisecond, a slow database seconds.
    static let requestSecondsBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]
    /// A SQLite batch takes at least one fsync (a few milliseconds on most disks).
    static let batchCommitSecondsBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]
    /// Powers of two up to the largest batch either writer takes (512 by default).
    static let batchSizeBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096]

    /// What `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    let http: HTTPMetrics
    private let decisions: [DecisionReason: CoreMetrics.Counter]
    private let webhookDeliveries: [WebhookDeliveryResult: CoreMetrics.Counter]
    /// Set when `/metrics` is scraped.
    let holdsOpen: CoreMetrics.Gauge
    let databaseUp: CoreMetrics.Gauge

    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [Name.requestSeconds: Self.requestSecondsBuckets, Name.batchCommitSeconds: Self.batchCommitSecondsBuckets]
        factory.valueHistogramBuckets = [Name.batchSize: Self.batchSizeBuckets]
        self.registry = registry
        self.factory = factory
        http = HTTPMetrics(factory: factory)
        // Made up front, so that every series is exported from the start at 0: a rate or an
        // alert over a series that does not exist yet sees nothing, not zero.
        var decisions: [DecisionReason: CoreMetrics.Counter] = [:]
        for reason in DecisionReason.allCases where reason != .reversed {
            decisions[reason] = CoreMetrics.Counter(label: Name.decisions, dimensions: [("reason", reason.rawValue)], factory: factory)
        }
        self.decisions = decisions
        var deliveries: [WebhookDeliveryResult: CoreMetrics.Counter] = [:]
        for result in WebhookDeliveryResult.allCases {
            deliveries[result] = CoreMetrics.Counter(label: Name.webhookDeliveries, dimensions: [("result", result.rawValue)], factory: factory)
        }
        webhookDeliveries = deliveries
        holdsOpen = CoreMetrics.Gauge(label: Name.holdsOpen, factory: factory)
        databaseUp = CoreMetrics.Gauge(label: Name.databaseUp, factory: factory)
    }

    /// Counts the decision an authorize, hold or commit call made; a replay decided nothing
    /// new and is not counted again.
    func recordDecision(_ outcome: AuthorizeOutcome) {
        guard !outcome.replayed, let reason = outcome.reason else { return }
        decisions[reason]?.increment()
    }

    /// Counts one attempt of the webhook worker.
    public func recordWebhookDelivery(_ result: WebhookDeliveryResult) {
        webhookDeliveries[result]?.increment()
    }

    /// Sends the store's group-commit batches to `tribute_batch_size` and
    /// `tribute_batch_commit_seconds`, labelled with the store's backend.
    public func connect(_ batches: BatchMetrics) {
        let dimensions = [("backend", batches.backend)]
        let sizes = CoreMetrics.Recorder(label: Name.batchSize, dimensions: dimensions, aggregate: true, factory: factory)
        let seconds = CoreMetrics.Timer(label: Name.batchCommitSeconds, dimensions: dimensions, factory: factory)
        batches.connect { jobs, nanoseconds in
            sizes.record(jobs)
            seconds.recordNanoseconds(nanoseconds)
        }
    }
}
