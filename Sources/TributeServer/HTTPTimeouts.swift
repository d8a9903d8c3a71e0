import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

/// How long a client may hold a connection without making progress, so that no client can
/// stall the server by opening connections and sending little or nothing.
///
/// - A request's head must arrive completely within `headerSeconds` of the connection
///   opening, or of the first byte of a later request on the same connection.
/// - Its body must arrive completely within `bodySeconds` of its head (bodies are at most
///   64 KiB, 1 MiB for Stripe's webhook, so this only cuts a trickle).
/// - A connection with no request in flight — waiting for the next request of a keep-alive
///   client — is closed after `idleSeconds`; so is one whose body stops arriving for that long.
/// - A response being written is never cut: the live event stream runs for up to an hour.
public struct HTTPTimeouts: Sendable, Equatable {
    public var idleSeconds: Int64
    public var headerSeconds: Int64
    public var bodySeconds: Int64

    public init(idleSeconds: Int64, headerSeconds: Int64, bodySeconds: Int64) {
        precondition(idleSeconds > 0 && headerSeconds > 0 && bodySeconds > 0, "HTTP timeouts are positive")
        self.idleSeconds = idleSeconds
        self.headerSeconds = headerSeconds
        self.bodySeconds = bodySeconds
    }

    /// 60 s idle, 10 s for a head, 60 s for a body.
    public static let standard = HTTPTimeouts(idleSeconds: 60, headerSeconds: 10, bodySeconds: 60)

    /// Hummingbird's HTTP/1 server with these timeouts: its own idle timeout, and
    /// `RequestDeadlineHandler` for the head and the body, which Hummingbird does not time.
    /// The parser's refusals get the API's error shape (`HTTPParseRefusal`).
    var serverBuilder: HTTPServerBuilder {
        let timeouts = self
        return HTTPServerBuilder { responder in
            let configuration = HTTP1Channel.Configuration(
                additionalChannelHandlers: [RequestDeadlineHandler(timeouts), HTTPParseRefusal()], idleTimeout: .seconds(timeouts.idleSeconds),
                httpDecoderConfiguration: HTTPParseRefusal.decoderLimits)
            return TimedHTTP1Channel(base: HTTP1Channel(responder: responder, configuration: configuration))
        }
    }
}

/// Hummingbird's HTTP/1 channel, with handlers in front of the HTTP decoder that tell
/// `RequestDeadlineHandler` when the bytes of a new request start to arrive, and
/// `HTTPParseRefusal` when its request line has ended.
struct TimedHTTP1Channel: ServerChildChannel {
    let base: HTTP1Channel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let deadlines = try pipeline.handler(type: RequestDeadlineHandler.self)
            try pipeline.addHandler(RequestStartHandler(deadlines: deadlines), position: .first)
            try pipeline.addHandler(RequestLineWatch(refusal: try pipeline.handler(type: HTTPParseRefusal.self)), position: .first)
            return value
        }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// Sees raw bytes before the HTTP decoder: the first bytes of a request start its header
/// deadline (while a connection merely waits, the idle timeout applies instead).
final class RequestStartHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let deadlines: RequestDeadlineHandler

    init(deadlines: RequestDeadlineHandler) { self.deadlines = deadlines }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deadlines.bytesArrived()
        context.fireChannelRead(data)
    }
}

/// Closes a connection whose request head, or body, does not arrive completely in time.
/// Between the HTTP decoder and Hummingbird, it sees each request's head and end, and each
/// response's end.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let headerTimeout: TimeAmount
    let bodyTimeout: TimeAmount
    private var context: ChannelHandlerContext?
    private var deadline: Scheduled<Void>?
    /// Requests whose head arrived and whose response has not ended.
    private var responsesOwed = 0
    /// A head arrived and its request's end has not.
    private var readingBody = false

    init(_ timeouts: HTTPTimeouts) {
        headerTimeout = .seconds(timeouts.headerSeconds)
        bodyTimeout = .seconds(timeouts.bodySeconds)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // The first head is timed from the connection's opening.
        if context.channel.isActive { arm(headerTimeout) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if deadline == nil && responsesOwed == 0 && !readingBody { arm(headerTimeout) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    /// The first bytes of a request arrived on a connection that was waiting for one.
    /// Bytes that arrive while a request is in flight (a pipelined next request) are left to
    /// the idle timeout, which starts when the response ends.
    func bytesArrived() {
        if deadline == nil && responsesOwed == 0 && !readingBody { arm(headerTimeout) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            responsesOwed += 1
            readingBody = true
            arm(bodyTimeout)
        case .body:
            break
        case .end:
            readingBody = false
            disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { responsesOwed = max(0, responsesOwed - 1) }
        context.write(data, promise: promise)
    }

    private func arm(_ timeout: TimeAmount) {
        disarm()
        guard let context else { return }
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            deadline = nil
            self.context?.close(promise: nil)
        }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }
}
