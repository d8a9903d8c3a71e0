import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import TributeCore
import TributePayments
import TributeServer
import TributeStore

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP API.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one).") var port = 8080
    @OptionGroup var options: DatabaseOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
    }

    func run() async throws {
        // Buffered lines (`LogSink`): with one per request, a write per line would cost
        // throughput; warnings and errors are written at once.
        var logger = Logger(label: "tribute") { LineLogHandler(label: $0) }
        logger.logLevel = .info
        let rateLimit = try Serve.rateLimit()
        logger.info("default rate limit per key", metadata: ["rate_limit": "\(rateLimit?.configuration ?? "off")"])
        let unauthenticatedRateLimit = try Serve.unauthenticatedRateLimit()
        logger.info("rate limit of requests without a valid key, per client address",
                    metadata: ["rate_limit": "\(unauthenticatedRateLimit?.configuration ?? "off")"])
        let url = DatabaseURL.resolve(options.database)
        let opened = try await DatabaseURL.open(url)
        let host = self.host
        let shown = DatabaseURL.redacted(url)
        let stripe = StripeConfiguration.fromEnvironment(ProcessInfo.processInfo.environment)
        if let stripe {
            logger.info("payments on", metadata: ["stripe_api_base": "\(stripe.apiBase)", "webhook_secret": "\(stripe.webhookSecret == nil ? "unset" : "set")"])
        } else {
            logger.info("payments off: STRIPE_SECRET_KEY is not set")
        }
        let webhookURLs = try Serve.webhookURLPolicy()
        if webhookURLs.allowsPrivateAddresses { logger.info("webhook URLs may point to private addresses (TRIBUTE_WEBHOOK_ALLOW_PRIVATE=1)") }
        let httpTimeouts = try Serve.httpTimeouts()
        let monitoring = try Serve.monitoringSettings()
        logger.info("monitoring", metadata: ["metrics_token": "\(monitoring.metricsToken == nil ? "unset: /metrics is open" : "set")",
                                             "request_log": "\(monitoring.logRequests ? "on" : "off")"])
        // One registry for the process, shared by the routes and the webhook worker.
        let metrics = TributeMetrics()
        let delivery = WebhookDeliveryService(store: opened.store, policy: try Serve.retryPolicy(), pollMillis: try Serve.environmentInteger("TRIBUTE_WEBHOOK_POLL_MILLIS", default: 500, in: 10...60_000),
                                              webhookURLs: webhookURLs, logger: logger, metrics: metrics)
        let housekeeping = Housekeeping(
            store: opened.store,
            idempotencyTTLDays: try Serve.environmentInteger("TRIBUTE_IDEMPOTENCY_TTL_DAYS", default: Housekeeping.defaultTTLDays, in: 1...3650),
            intervalMillis: try Serve.environmentInteger("TRIBUTE_HOUSEKEEPING_MILLIS", default: 60_000, in: 10...86_400_000),
            checkpointMinutes: Serve.checkpointMinutes(try Serve.environmentInteger("TRIBUTE_CHECKPOINT_MINUTES", default: 60, in: 0...525_600)), logger: logger)
        var background: [any Service] = [delivery, housekeeping]
        // `TRIBUTE_HOLD_SWEEP_MILLIS=0`: no sweeper; expired holds are still released by the next call.
        let sweepMillis = try Serve.environmentInteger("TRIBUTE_HOLD_SWEEP_MILLIS", default: HoldSweeper.defaultIntervalMillis, in: 0...86_400_000)
        if sweepMillis > 0 { background.append(HoldSweeper(store: opened.store, intervalMillis: sweepMillis, logger: logger)) }
        if let stripe {
            background.append(AutoTopupWorker(
                store: opened.store, stripe: stripe,
                pollMillis: try Serve.environmentInteger("TRIBUTE_AUTO_TOPUP_POLL_MILLIS", default: AutoTopupWorker.defaultPollMillis, in: 10...60_000),
                leaseMillis: 1_000 * (try Serve.environmentInteger("TRIBUTE_AUTO_TOPUP_LEASE_SECONDS", default: AutoTopupWorker.defaultLeaseMillis / 1_000, in: 1...3_600)),
                logger: logger))
        }
        let streams = try Serve.streamSettings()
        let limits = try Serve.collectionLimits()
        // Services stop in reverse order: deliveries before the database pool.
        let app = buildApplication(store: opened.store, stripe: stripe, rateLimit: rateLimit, host: host, port: port, services: opened.services + background, logger: logger,
                                   webhookURLs: webhookURLs, httpTimeouts: httpTimeouts, streams: streams, metrics: metrics, monitoring: monitoring,
                                   limits: limits, unauthenticatedRateLimit: unauthenticatedRateLimit) { boundPort in
            // Written straight to the descriptor so that a pipe sees it at once.
            let line = "tribute listening on http://\(host):\(boundPort) (database \(shown))\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        defer { LogSink.standardError.flush() }
        try await app.runService()
    }

    /// The rate limit of keys without their own: `TRIBUTE_RATE_LIMIT=PER_SECOND:BURST`, off
    /// when unset or empty.
    /// - Throws: `ValidationError` for anything else, so that a typo never runs unlimited.
    static func rateLimit() throws -> RateLimit? {
        guard let text = ProcessInfo.processInfo.environment["TRIBUTE_RATE_LIMIT"], !text.isEmpty else { return nil }
        guard let limit = RateLimit(configuration: text) else {
            throw ValidationError("TRIBUTE_RATE_LIMIT must be PER_SECOND:BURST, two whole numbers from 1 to \(RateLimit.maxValue) (such as 50:100), not \"\(text.prefix(40))\"")
        }
        return limit
    }

    /// The limit of requests without a valid key, per client address:
    /// `TRIBUTE_UNAUTHENTICATED_RATE_LIMIT=PER_SECOND:BURST`, 20:40 when unset or empty,
    /// none when `off`.
    /// - Throws: `ValidationError` for anything else, so that a typo never runs unlimited.
    static func unauthenticatedRateLimit() throws -> RateLimit? {
        let text = ProcessInfo.processInfo.environment["TRIBUTE_UNAUTHENTICATED_RATE_LIMIT"] ?? ""
        if text.isEmpty { return .unauthenticatedStandard }
        if text == "off" { return nil }
        guard let limit = RateLimit(configuration: text) else {
            throw ValidationError(
                "TRIBUTE_UNAUTHENTICATED_RATE_LIMIT must be PER_SECOND:BURST, two whole numbers from 1 to \(RateLimit.maxValue) (such as 20:40), or off, not \"\(text.prefix(40))\"")
        }
        return limit
    }

    /// The caps on live streams: `TRIBUTE_STREAMS_PER_KEY` (16), `TRIBUTE_STREAMS_MAX`
    /// (1,000), `TRIBUTE_STREAM_MAX_SECONDS` (3,600), after which a stream ends and its
    /// client resumes, and `TRIBUTE_STREAM_REPLAY_MAX` (1,000), the most a resume replays.
    static func streamSettings() throws -> LiveStreamSettings {
        let standard = LiveStreamSettings.standard
        return LiveStreamSettings(
            maxPerKey: Int(try environmentInteger("TRIBUTE_STREAMS_PER_KEY", default: Int64(standard.maxPerKey), in: 1...10_000)),
            maxOpen: Int(try environmentInteger("TRIBUTE_STREAMS_MAX", default: Int64(standard.maxOpen), in: 1...1_000_000)),
            maxDurationSeconds: try environmentInteger("TRIBUTE_STREAM_MAX_SECONDS", default: standard.maxDurationSeconds, in: 1...86_400),
            maxReplayItems: Int(try environmentInteger("TRIBUTE_STREAM_REPLAY_MAX", default: Int64(standard.maxReplayItems), in: 1...100_000)))
    }

    /// The caps on what callers may make: `TRIBUTE_MAX_BUDGETS_PER_WORKSPACE` (1,000),
    /// `TRIBUTE_MAX_WEBHOOK_ENDPOINTS` (100) and `TRIBUTE_MAX_API_KEYS` (10,000), each from
    /// 1 to 1,000,000.
    static func collectionLimits() throws -> CollectionLimits {
        let standard = CollectionLimits.standard
        let range = Int64(CollectionLimits.configurableRange.lowerBound)...Int64(CollectionLimits.configurableRange.upperBound)
        return CollectionLimits(
            budgetsPerWorkspace: Int(try environmentInteger("TRIBUTE_MAX_BUDGETS_PER_WORKSPACE", default: Int64(standard.budgetsPerWorkspace), in: range)),
            webhookEndpoints: Int(try environmentInteger("TRIBUTE_MAX_WEBHOOK_ENDPOINTS", default: Int64(standard.webhookEndpoints), in: range)),
            apiKeys: Int(try environmentInteger("TRIBUTE_MAX_API_KEYS", default: Int64(standard.apiKeys), in: range)))
    }

    /// `TRIBUTE_METRICS_TOKEN` (unset or empty: `/metrics` is open) and
    /// `TRIBUTE_LOG_REQUESTS` (`0` turns the per-request log line off; unset, empty or `1`: on).
    /// - Throws: `ValidationError` for another `TRIBUTE_LOG_REQUESTS`, or a token of control
    ///   characters or spaces, which no `Authorization` header could carry.
    static func monitoringSettings() throws -> MonitoringSettings {
        let environment = ProcessInfo.processInfo.environment
        let token = environment["TRIBUTE_METRICS_TOKEN"] ?? ""
        guard token.utf8.allSatisfy({ (0x21...0x7E).contains($0) }), token.utf8.count <= 256 else {
            throw ValidationError("TRIBUTE_METRICS_TOKEN must be at most 256 visible ASCII characters, without spaces")
        }
        let logRequests: Bool
        switch environment["TRIBUTE_LOG_REQUESTS"] ?? "" {
        case "", "1": logRequests = true
        case "0": logRequests = false
        case let other: throw ValidationError("TRIBUTE_LOG_REQUESTS must be 1 or 0, not \"\(other.prefix(40))\"")
        }
        return MonitoringSettings(metricsToken: token, logRequests: logRequests)
    }

    /// `TRIBUTE_WEBHOOK_ALLOW_PRIVATE=1` lets webhook URLs point to private, loopback and
    /// link-local addresses; unset, empty or `0`: public addresses only.
    /// - Throws: `ValidationError` for any other value.
    static func webhookURLPolicy() throws -> WebhookURLPolicy {
        switch ProcessInfo.processInfo.environment["TRIBUTE_WEBHOOK_ALLOW_PRIVATE"] ?? "" {
        case "", "0": return .publicOnly
        case "1": return .anyAddress
        case let other: throw ValidationError("TRIBUTE_WEBHOOK_ALLOW_PRIVATE must be 1 or 0, not \"\(other.prefix(40))\"")
        }
    }

    /// `TRIBUTE_HTTP_IDLE_TIMEOUT_SECONDS`, `TRIBUTE_HTTP_HEADER_TIMEOUT_SECONDS` and
    /// `TRIBUTE_HTTP_BODY_TIMEOUT_SECONDS`; `HTTPTimeouts.standard` otherwise.
    static func httpTimeouts() throws -> HTTPTimeouts {
        let standard = HTTPTimeouts.standard
        return HTTPTimeouts(
            idleSeconds: try environmentInteger("TRIBUTE_HTTP_IDLE_TIMEOUT_SECONDS", default: standard.idleSeconds, in: 1...86_400),
            headerSeconds: try environmentInteger("TRIBUTE_HTTP_HEADER_TIMEOUT_SECONDS", default: standard.headerSeconds, in: 1...3_600),
            bodySeconds: try environmentInteger("TRIBUTE_HTTP_BODY_TIMEOUT_SECONDS", default: standard.bodySeconds, in: 1...86_400))
    }

    /// Outbound webhook retries: `TRIBUTE_WEBHOOK_RETRY_BASE_MILLIS` (first delay, doubling)
    /// and `TRIBUTE_WEBHOOK_MAX_ATTEMPTS`; `RetryPolicy.standard` otherwise.
    static func retryPolicy() throws -> RetryPolicy {
        let standard = RetryPolicy.standard
        return RetryPolicy(
            baseDelayMillis: try environmentInteger("TRIBUTE_WEBHOOK_RETRY_BASE_MILLIS", default: standard.baseDelayMillis, in: 1...86_400_000),
            maxDelayMillis: standard.maxDelayMillis,
            maxAttempts: Int(try environmentInteger("TRIBUTE_WEBHOOK_MAX_ATTEMPTS", default: Int64(standard.maxAttempts), in: 1...100)))
    }

    static func environmentInteger(_ name: String, default fallback: Int64, in range: ClosedRange<Int64>) throws -> Int64 {
        guard let text = ProcessInfo.processInfo.environment[name], !text.isEmpty else { return fallback }
        guard let value = Int64(text), range.contains(value) else {
            throw ValidationError("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}

extension Serve {
    /// `TRIBUTE_CHECKPOINT_MINUTES`: 0 turns the server's checkpoints off.
    static func checkpointMinutes(_ minutes: Int64) -> Int64? { minutes == 0 ? nil : minutes }
}
