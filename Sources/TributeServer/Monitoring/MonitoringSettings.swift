/// How `tribute serve` is watched (docs/operations.md): who may read `/metrics`, and whether
/// each request is logged.
public struct MonitoringSettings: Sendable {
    /// `TRIBUTE_METRICS_TOKEN`: when set, `/metrics` answers only
    /// `Authorization: Bearer <token>`; `nil`: open to anyone who can reach the port.
    public var metricsToken: String?
    /// `TRIBUTE_LOG_REQUESTS`: one `info` line per request (on unless `0`).
    public var logRequests: Bool

    public init(metricsToken: String? = nil, logRequests: Bool = true) {
        self.metricsToken = metricsToken.flatMap { $0.isEmpty ? nil : $0 }
        self.logRequests = logRequests
    }

    /// `/metrics` open, requests logged.
    public static var standard: MonitoringSettings { MonitoringSettings() }
}
