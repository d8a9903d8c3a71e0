import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import TributeCore

/// The answer to a request the HTTP parser refuses, in the API's error shape.
///
/// Hummingbird answers every parse error with `400`, `Content-Length: 0` and
/// `Connection: close`: a client that sent a 200 KB URL learned nothing. Between the HTTP
/// codec and Hummingbird, this handler sees the parser's error go by, and gives that
/// answer its status and body:
/// - a head past `maxHeadBytes` while its request line was still arriving: `414
///   uri_too_long`;
/// - a head past `maxHeadBytes` (or `maxHeaderFields`) in its headers: `431
///   headers_too_large`;
/// - anything else the parser refuses: `400 malformed_request`.
///
/// Whether the request line had ended is `RequestLineWatch`'s to say: the parser reports
/// both overflows the same way. So is whether the request is a `HEAD`, whose answer keeps
/// its `Content-Length` and has no body (RFC 9110 §9.3.2, as `HeadMiddleware` keeps every
/// other answer to a `HEAD`): the parser refused the request before its method was known.
/// The connection still closes after the answer.
final class HTTPParseRefusal: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// The most bytes of a request's head: its URL alone, and its URL and headers together
    /// (NIO's decoder counts both against the same bound).
    static let maxHeadBytes = 80 * 1024
    /// The most header fields of a request.
    static let maxHeaderFields = 1_000

    /// The decoder's limits, as `maxHeadBytes` and `maxHeaderFields` say.
    static var decoderLimits: HTTP1Channel.Configuration.DecoderConfiguration {
        .init(maxHeaderFieldSize: maxHeadBytes, maxHeaderListSize: maxHeadBytes, maxHeaderFieldCount: maxHeaderFields)
    }

    /// Whether the current request's line (method, target, version) has ended: set by
    /// `RequestLineWatch`, cleared when a request has been read whole.
    var requestLineEnded = false
    /// The first bytes of the current request, up to `"HEAD ".count` of them: kept by
    /// `RequestLineWatch`, cleared when a request has been read whole.
    var requestStart: [UInt8] = []
    /// The answer owed for the parser's error, until Hummingbird writes its own, and
    /// whether it answers a `HEAD`.
    private var refusal: (error: APIError, toHead: Bool)?

    static let headMethod = Array("HEAD ".utf8)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) {
            requestLineEnded = false
            requestStart = []
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? HTTPParserError {
            refusal = (Self.refusal(for: error, requestLineEnded: requestLineEnded), requestStart == Self.headMethod)
        }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard let refusal, case .head(let head) = unwrapOutboundIn(data), Self.isParseErrorAnswer(head) else {
            context.write(data, promise: promise)
            return
        }
        self.refusal = nil
        let body = ByteBuffer(string: refusal.error.body)
        var fields = head.headerFields
        fields[.contentType] = "application/json"
        fields[.contentLength] = String(body.readableBytes)
        let answer = HTTPResponse(status: refusal.error.status, headerFields: fields)
        if refusal.toHead {
            context.write(wrapOutboundOut(.head(answer)), promise: promise)
        } else {
            context.write(wrapOutboundOut(.head(answer)), promise: nil)
            context.write(wrapOutboundOut(.body(body)), promise: promise)
        }
    }

    /// Hummingbird's answer to a parse error: a bodiless 400 that closes the connection
    /// (the API's own 400s always carry a body).
    static func isParseErrorAnswer(_ head: HTTPResponse) -> Bool {
        head.status == .badRequest && head.headerFields[.contentLength] == "0" && head.headerFields[.connection] == "close"
    }

    /// What to answer for `error`.
    static func refusal(for error: HTTPParserError, requestLineEnded: Bool) -> APIError {
        switch error {
        case .headerOverflow where !requestLineEnded:
            APIError(status: .uriTooLong, code: "uri_too_long",
                     message: "The URL is too long: a request's URL and headers may hold \(maxHeadBytes / 1024) KiB together")
        case .headerOverflow:
            APIError(status: .requestHeaderFieldsTooLarge, code: "headers_too_large",
                     message: "The request's headers are too large: at most \(maxHeadBytes / 1024) KiB with the URL, and \(maxHeaderFields) fields")
        default:
            APIError.malformed("The request is not valid HTTP/1.1")
        }
    }
}

/// Sees a connection's raw bytes before the HTTP decoder, and tells `HTTPParseRefusal` how
/// the current request starts (whether it is a `HEAD`) and when its line has ended (its
/// first line feed), past the empty lines RFC 9112 §2.2 lets a client send before it. A
/// client that pipelines a request behind another in the same read may be told apart less
/// exactly: its overflow is then called a header's, and its method is not seen.
final class RequestLineWatch: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let refusal: HTTPParseRefusal

    init(refusal: HTTPParseRefusal) { self.refusal = refusal }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let startLength = HTTPParseRefusal.headMethod.count
        for byte in unwrapInboundIn(data).readableBytesView {
            if refusal.requestLineEnded && refusal.requestStart.count == startLength { break }
            if refusal.requestStart.isEmpty && (byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")) { continue }
            if refusal.requestStart.count < startLength { refusal.requestStart.append(byte) }
            if byte == UInt8(ascii: "\n") { refusal.requestLineEnded = true }
        }
        context.fireChannelRead(data)
    }
}

extension APIError {
    /// The answer's body, `{"error":{"code","message"}}`, as `response(from:context:)` writes it.
    var body: String {
        JSON.object(["error": .object(["code": .string(code), "message": .string(message)])]).serialized
    }
}
