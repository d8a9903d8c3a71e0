import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import TributeCore
import TributeServer
import TributeStore
import TributeTestSupport

/// A real application over a fresh store, with its metrics, its monitoring settings and its
/// logger in the test's hands.
struct MonitoringFixture {
    let store: any TributeStore
    let clock: ManualClock
    let adminKey: String
    let metrics = TributeMetrics()

    init(_ backend: Backend) async throws {
        clock = ManualClock(millis: Identifier.currentMillis())
        store = try await backend.makeStore(clock: clock).0
        adminKey = try await store.createAPIKey(role: .admin, workspaceIds: [], name: "test").secret
    }

    /// A prepaid workspace (0.1 credit a SIMPLE_LLM action) holding `credits`.
    func workspace(_ id: String, credits: Amount) async throws {
        _ = try await store.createWorkspace(WorkspaceDraft(id: id, name: id, planId: "prepaid", anchorDate: nil))
        _ = try await store.grantCredits(workspaceId: id, grant: CreditGrantDraft(amount: credits, expiresAt: nil, note: nil))
    }

    func test<Value>(monitoring: MonitoringSettings = .standard, logger: Logger = Logger(label: "test"),
                     _ body: @Sendable @escaping (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let app = buildApplication(store: store, host: "127.0.0.1", port: 0, logger: logger, metrics: metrics, monitoring: monitoring)
        return try await app.test(.router) { client in try await body(client) }
    }
}

/// A scrape of `/metrics`, read back into series: each sample by its name and labels.
struct Scrape {
    struct Sample: Hashable {
        let name: String
        let labels: [String: String]
    }

    let text: String
    let samples: [Sample: Double]

    /// - Throws: `Malformed` for a line that is no comment, blank, or `name{labels} value`.
    init(_ text: String) throws {
        struct Malformed: Error, CustomStringConvertible {
            let line: String
            var description: String { "not a sample: \(line)" }
        }
        self.text = text
        var samples: [Sample: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { throw Malformed(line: String(line)) }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else {
                samples[Sample(name: String(series), labels: [:])] = value
                continue
            }
            guard series.hasSuffix("}"), let labels = Self.labels(series[series.index(after: brace)..<series.index(before: series.endIndex)]) else {
                throw Malformed(line: String(line))
            }
            samples[Sample(name: String(series[..<brace]), labels: labels)] = value
        }
        self.samples = samples
    }

    /// `a="x",b="y"` as a dictionary; `nil` when it is not that shape.
    static func labels(_ text: Substring) -> [String: String]? {
        var labels: [String: String] = [:]
        var rest = text
        while !rest.isEmpty {
            guard let equals = rest.firstIndex(of: "="), rest[rest.index(after: equals)...].hasPrefix("\"") else { return nil }
            let name = String(rest[..<equals])
            let valueStart = rest.index(equals, offsetBy: 2)
            guard let quote = rest[valueStart...].firstIndex(of: "\"") else { return nil }
            labels[name] = String(rest[valueStart..<quote])
            rest = rest[rest.index(after: quote)...]
            if rest.hasPrefix(",") { rest = rest.dropFirst() }
        }
        return labels
    }

    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? { samples[Sample(name: name, labels: labels)] }

    /// Every value a label takes in the samples of `name`.
    func labelValues(_ name: String, _ label: String) -> Set<String> {
        Set(samples.keys.filter { $0.name == name }.compactMap { $0.labels[label] })
    }
}

extension TestClientProtocol {
    /// `GET /metrics`, read back.
    func scrape(token: String? = nil) async throws -> Scrape {
        let response = try await send(.get, "/metrics", key: token)
        return try Scrape(response.text)
    }
}

/// Collects what an application logs, for tests to read.
final class LogRecorder: @unchecked Sendable {
    struct Entry: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]

        /// The entry as one line of text: what a log file would hold of it.
        var line: String { "\(level) \(message) " + metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
    }

    private let lock = NSLock()
    private var stored: [Entry] = []

    var entries: [Entry] { lock.withLock { stored } }

    func append(_ entry: Entry) { lock.withLock { stored.append(entry) } }

    /// A logger at `info` whose lines land here.
    var logger: Logger {
        var logger = Logger(label: "test") { _ in Handler(recorder: self) }
        logger.logLevel = .info
        return logger
    }

    struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info
        var metadataProvider: Logger.MetadataProvider?

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            // As swift-log's own handler does: the logger's, then the provider's, then the call's.
            let merged = metadata.merging(metadataProvider?.get() ?? [:]) { _, provided in provided }.merging(event.metadata ?? [:]) { _, call in call }
            recorder.append(Entry(level: event.level, message: event.message.description, metadata: merged.mapValues(\.description)))
        }
    }
}
