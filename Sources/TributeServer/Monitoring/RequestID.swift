import HTTPTypes
import TributeStore

/// The id of one request, in `X-Request-Id` and in every log line the request writes: the
/// caller's own when it is a safe token, so that a client or a proxy can follow its request
/// through, and a new one otherwise.
enum RequestID {
    static let header = HTTPField.Name("X-Request-Id")!
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
