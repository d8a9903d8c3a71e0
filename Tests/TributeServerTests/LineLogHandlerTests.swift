import Foundation
import Logging
import Testing
import TributeServer

/// The log handler of `tribute serve`: the stream handler's layout, info lines buffered
/// until a flush, warnings written at once.
@Suite struct LineLogHandlerTests {
    private func sink() throws -> (LogSink, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tribute-log-\(UUID().uuidString)").path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(descriptor >= 0)
        // A flush period far beyond the test: only `flush()` and warnings write.
        return (LogSink(descriptor: descriptor, flushMillis: 600_000), path)
    }

    @Test func infoLinesWaitForAFlushAndKeepTheStreamHandlersLayout() throws {
        let (sink, path) = try sink()
        var logger = Logger(label: "tribute") { LineLogHandler(label: $0, sink: sink) }
        logger[metadataKey: "instance"] = "a"
        logger.info("request", metadata: ["status": "200", "method": "POST", "route": "/v1/holds"])
        #expect(try String(contentsOfFile: path, encoding: .utf8).isEmpty)
        sink.flush()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 1)
        let line = String(try #require(lines.first))
        // 2026-11-30T16:29:07.123Z info tribute: instance=a method=POST route=/v1/holds status=200 [TributeServerTests] request
        #expect(line.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info tribute: instance=a method=POST route=/v1/holds status=200 \[\w+\] request$"#,
                           options: .regularExpression) != nil, "\(line)")
    }

    @Test func warningsAreWrittenAtOnceBehindTheLinesBeforeThem() throws {
        let (sink, path) = try sink()
        let logger = Logger(label: "tribute") { LineLogHandler(label: $0, sink: sink) }
        logger.info("first")
        logger.warning("second", metadata: ["error": "timeout"])
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasSuffix("] first") == true)
        #expect(lines.last?.contains(" warning tribute: error=timeout [") == true)
    }

    @Test func aMetadataProviderAddsItsKeys() throws {
        let (sink, path) = try sink()
        var handler = LineLogHandler(label: "tribute", sink: sink)
        handler.metadataProvider = Logger.MetadataProvider { ["request_id": "req_1", "route": "/from-provider"] }
        handler.metadata = ["route": "/from-handler", "zone": "z"]
        let logger = Logger(label: "tribute") { _ in handler }
        logger.error("internal error", metadata: ["route": "/from-call"])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        // One value a key: the call's over the provider's over the handler's.
        #expect(text.contains(" error tribute: request_id=req_1 route=/from-call zone=z ["), "\(text)")
    }
}
