import CoreMetrics
import HTTPTypes
import Prometheus
import TributeCore

/// `tribute_http_requests_total{method,route,status}` and
/// `tribute_http_request_duration_seconds{method,route}`, with their handles kept per
/// method, route and status so that a request costs one lookup under a short lock and the
/// records themselves, never a registry lookup or label text built for it.
///
/// Labels are bounded whatever callers send: `route` is the matched route's pattern
/// (`/v1/workspaces/{id}`), never the path; a method outside HTTP's usual ones is `OTHER`;
/// statuses are the server's own. The table holds at most `maxSeries` entries, past which
/// requests are counted under the route `overflow` — a bound that the labels above keep out
/// of reach, there so that a bug cannot grow the process.
final class HTTPMetrics: Sendable {
    struct Key: Hashable {
        let method: String
        let route: String
        let status: Int
    }

    struct Handles: Sendable {
        let requests: CoreMetrics.Counter
        let seconds: CoreMetrics.Timer
    }

    static let maxSeries = 2_048
    /// The methods labelled by name; any other is `OTHER`.
    static let namedMethods: Set<HTTPRequest.Method> = [.get, .head, .post, .put, .patch, .delete, .options, .trace, .connect]

    private let factory: PrometheusMetricsFactory
    private let lock = Lock()
    // Guarded by `lock`.
    nonisolated(unsafe) private var handles: [Key: Handles] = [:]

    init(factory: PrometheusMetricsFactory) {
        self.factory = factory
    }

    /// The `method` label of a request's method.
    static func label(_ method: HTTPRequest.Method) -> String {
        namedMethods.contains(method) ? method.rawValue : "OTHER"
    }

    /// Counts one answered request and its time from arrival to the response's head.
    func record(method: String, route: String, status: Int, nanoseconds: UInt64) {
        let handles = self.handles(for: Key(method: method, route: route, status: status))
        handles.requests.increment()
        handles.seconds.recordNanoseconds(nanoseconds)
    }

    private func handles(for key: Key) -> Handles {
        lock.withLock {
            if let found = handles[key] { return found }
            let key = handles.count < Self.maxSeries ? key : Key(method: key.method, route: "overflow", status: key.status)
            if let found = handles[key] { return found }
            let made = Handles(
                requests: CoreMetrics.Counter(
                    label: TributeMetrics.Name.requests, dimensions: [("method", key.method), ("route", key.route), ("status", String(key.status))], factory: factory),
                // The registry hands every status of a method and route the same histogram.
                seconds: CoreMetrics.Timer(label: TributeMetrics.Name.requestSeconds, dimensions: [("method", key.method), ("route", key.route)], factory: factory))
            handles[key] = made
            return made
        }
    }
}
