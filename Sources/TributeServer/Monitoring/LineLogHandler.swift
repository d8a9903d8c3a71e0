import Foundation
import Logging

/// The log handler of `tribute serve`: one line per entry, in the layout of swift-log's
/// stream handler (`TIME LEVEL LABEL: key=value … [SOURCE] MESSAGE`, keys sorted), but
/// with the time's second formatted once a second and the lines written through a
/// `LogSink` buffer: with a line per request, the stream handler's per-line time formatting
/// and locked write cost a fifth of the server's throughput on `/healthz`.
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let sink: LogSink

    public init(label: String, sink: LogSink = .standardError) {
        self.label = label
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        // The keys of the handler, the provider and the call, later ones winning, in key
        // order: a small array sorted, not dictionaries merged (a line per request).
        var pairs: [(key: String, value: Logger.MetadataValue)] = []
        pairs.reserveCapacity(metadata.count + (event.metadata?.count ?? 0) + 2)
        for (key, value) in metadata { pairs.append((key, value)) }
        if let provided = metadataProvider?.get() { for (key, value) in provided { pairs.append((key, value)) } }
        if let explicit = event.metadata { for (key, value) in explicit { pairs.append((key, value)) } }
        // Stable: of two equal keys the later source stays last, and is the one written.
        let ordered = pairs.enumerated().sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }.map(\.element)
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        var line = sink.timestamp(millis: Int64(time.tv_sec) * 1_000 + Int64(time.tv_nsec) / 1_000_000)
        line.reserveCapacity(192)
        line += " "
        line += event.level.rawValue
        line += " "
        line += label
        line += ":"
        for (index, pair) in ordered.enumerated() where index + 1 == ordered.count || ordered[index + 1].key != pair.key {
            line += " "
            line += pair.key
            line += "="
            line += pair.value.description
        }
        line += " ["
        line += event.source
        line += "] "
        line += event.message.description
        sink.write(line, now: event.level >= .warning)
    }
}
