import HTTPTypes
import Logging
import TributeStore

/// The id of one request, in `X-Request-Id` and in every log line the request writes: the
/// caller's own when it is a safe token, so that a client or a proxy can follow its request
/// through, and a new one otherwise.
enum RequestID {
    static let header = HTTPField.Name("X-Request-Id")!

    /// The id of the request the current task is handling, while `MonitoringMiddleware`
    /// runs the layers inside it.
    @TaskLocal static var current: String?

    /// `request_id` in every line logged while a request is handled: read when a line is
    /// written, so that a request that logs nothing costs nothing (setting the logger's own
    /// metadata on every request would copy its storage and make the standard handler
    /// re-render its metadata).
    static let metadataProvider = Logger.MetadataProvider {
        guard let current else { return [:] }
        return ["request_id": .string(current)]
    }

    /// `logger`, whose lines also carry the current request's id.
    static func tagging(_ logger: Logger) -> Logger {
        var logger = logger
        logger.handler.metadataProvider = .multiplex([logger.metadataProvider, metadataProvider].compactMap { $0 })
        return logger
    }
    /// Longer ids are replaced: the id lands in every log line of the request.
    static let maxLength = 128

    /// The request's `X-Request-Id` when it is 1–128 characters of `A–Z a–z 0–9 . _ : -`,
    /// otherwise a new random one (`req_` and 22 base-62 characters).
    static func of(_ headers: HTTPFields) -> String {
        if let given = headers[header], isAcceptable(given) { return given }
        return Identifier.make("req")
    }

    /// Whether a caller's id may be used as it is: no space, quote, control character or
    /// newline that could break or forge a log line.
    static func isAcceptable(_ id: String) -> Bool {
        let bytes = id.utf8
        guard !bytes.isEmpty, bytes.count <= maxLength else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "-"): true
            default: false
            }
        }
    }
}
