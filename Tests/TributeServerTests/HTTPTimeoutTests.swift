import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TributeCore
import TributeServer
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection to 127.0.0.1, for requests no HTTP client would send.
final class RawConnection: @unchecked Sendable {
    let descriptor: Int32

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// `receiveBuffer` shrinks the socket's receive buffer (set before connecting, so the
    /// window is small too): a client that stops reading stalls the server's writes sooner.
    init(port: Int, receiveBuffer: Int32? = nil) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: \(errno)") }
        if var size = receiveBuffer {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else {
            close(descriptor)
            throw Failure(description: "connect: \(errno)")
        }
    }

    deinit { close(descriptor) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw Failure(description: "send: \(errno)") }
    }

    /// Waits up to `seconds` for input: the bytes read, or `nil` when the server closed the
    /// connection (or reset it), or `[]` when nothing came in time.
    func read(seconds: Double) async -> [UInt8]? {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var poller = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, Int32(seconds * 1000)) > 0 else { return continuation.resume(returning: []) }
                var buffer = [UInt8](repeating: 0, count: 65_536)
                let count = buffer.withUnsafeMutableBytes { recv(self.descriptor, $0.baseAddress, $0.count, 0) }
                continuation.resume(returning: count > 0 ? Array(buffer.prefix(count)) : nil)
            }
        }
    }

    /// Seconds until the server closes the connection, reading (and dropping) whatever it
    /// sends; `nil` if it is still open after `seconds`.
    func secondsUntilClosed(within seconds: Double) async -> Double? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(seconds) {
            if await read(seconds: 0.5) == nil {
                let elapsed = ContinuousClock.now - start
                return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            }
        }
        return nil
    }

    /// One whole response to a request, as text: the head and a `Content-Length` body.
    func response(seconds: Double = 20) async throws -> String {
        var bytes: [UInt8] = []
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(seconds) {
            guard let more = await read(seconds: 0.5) else { break }
            bytes += more
            let text = String(decoding: bytes, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let length = text[..<end.lowerBound].split(separator: "\r\n")
                    .first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                if text[end.upperBound...].utf8.count >= length { return text }
            }
        }
        throw Failure(description: "no whole response: \(String(decoding: bytes, as: UTF8.self))")
    }
}

/// No client can hold a connection by sending a request slowly or not at all. The server
/// runs in this process with short timeouts; the bounds are generous for a loaded machine.
@Suite struct HTTPTimeoutTests {
    static let head = "GET /healthz HTTP/1.1\r\nHost: tribute\r\n"

    /// Runs a live server with `timeouts` over a fresh store while `body` runs.
    static func withServer(_ timeouts: HTTPTimeouts, fixture: APIFixture? = nil, _ body: @Sendable @escaping (_ port: Int) async throws -> Void) async throws {
        let store = if let fixture { fixture.store } else { try await APIFixture(.sqlite).store }
        let app = buildApplication(store: store, host: "127.0.0.1", port: 0, logger: Logger(label: "test"), httpTimeouts: timeouts)
        try await app.test(.live) { client in try await body(client.port!) }
    }

    /// The live event stream is a response in progress: neither timeout cuts it, however
    /// short, while its keep-alives are 15 s apart.
    @Test func theLiveStreamOutlastsEveryTimeout() async throws {
        let fixture = try await APIFixture(.sqlite)
        try await fixture.workspace("w", credits: Amount(micros: 1_000_000))
        try await Self.withServer(HTTPTimeouts(idleSeconds: 1, headerSeconds: 1, bodySeconds: 1), fixture: fixture) { port in
            let connection = try RawConnection(port: port)
            try connection.send("GET /v1/workspaces/w/events HTTP/1.1\r\nHost: tribute\r\nAuthorization: Bearer \(fixture.adminKey)\r\n\r\n")
            let first = try #require(await connection.read(seconds: 20), "closed at once")
            #expect(String(decoding: first, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
            #expect(await connection.secondsUntilClosed(within: 4) == nil, "the stream was cut")
        }
    }

    /// A head cut off before its blank line is closed after the header timeout (1 s here),
    /// long before the idle timeout (60 s).
    @Test func aHalfSentHeadIsClosedAfterTheHeaderTimeout() async throws {
        try await Self.withServer(HTTPTimeouts(idleSeconds: 60, headerSeconds: 1, bodySeconds: 60)) { port in
            let connection = try RawConnection(port: port)
            try connection.send(Self.head)
            let seconds = try #require(await connection.secondsUntilClosed(within: 30), "still open after 30 s")
            #expect(seconds >= 0.5 && seconds < 20)
        }
    }

    /// A head sent a byte at a time is still cut at the header timeout: the deadline runs
    /// from the connection's opening, not from the last byte.
    @Test func aTrickledHeadIsClosedAfterTheHeaderTimeout() async throws {
        try await Self.withServer(HTTPTimeouts(idleSeconds: 60, headerSeconds: 2, bodySeconds: 60)) { port in
            let connection = try RawConnection(port: port)
            let start = ContinuousClock.now
            var closed = false
            for character in Self.head + String(repeating: "X-Padding: slow\r\n", count: 100) {
                guard (try? connection.send(String(character))) != nil, await connection.read(seconds: 0.2) != nil else {
                    closed = true
                    break
                }
                if ContinuousClock.now - start > .seconds(30) { break }
            }
            #expect(closed, "a trickled head kept the connection for 30 s")
            #expect(ContinuousClock.now - start < .seconds(25))
        }
    }

    /// A connection that never sends anything is closed after the header timeout too.
    @Test func aSilentConnectionIsClosedAfterTheHeaderTimeout() async throws {
        try await Self.withServer(HTTPTimeouts(idleSeconds: 60, headerSeconds: 1, bodySeconds: 60)) { port in
            let connection = try RawConnection(port: port)
            let seconds = try #require(await connection.secondsUntilClosed(within: 30), "still open after 30 s")
            #expect(seconds < 20)
        }
    }

    /// A body that stops arriving is closed after the body timeout.
    @Test func aHalfSentBodyIsClosedAfterTheBodyTimeout() async throws {
        try await Self.withServer(HTTPTimeouts(idleSeconds: 60, headerSeconds: 60, bodySeconds: 1)) { port in
            let connection = try RawConnection(port: port)
            try connection.send("POST /v1/workspaces HTTP/1.1\r\nHost: tribute\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"id\":")
            let seconds = try #require(await connection.secondsUntilClosed(within: 30), "still open after 30 s")
            #expect(seconds < 20)
        }
    }

    /// Whole requests are answered, and a keep-alive connection may wait between requests
    /// longer than the header timeout: only the idle timeout applies there.
    @Test func wholeRequestsAreAnsweredAndKeepAliveOutlastsTheHeaderTimeout() async throws {
        try await Self.withServer(HTTPTimeouts(idleSeconds: 60, headerSeconds: 1, bodySeconds: 1)) { port in
            let connection = try RawConnection(port: port)
            try connection.send(Self.head + "\r\n")
            #expect(try await connection.response().hasPrefix("HTTP/1.1 200"))
            try await Task.sleep(for: .milliseconds(2_500))
            try connection.send(Self.head + "\r\n")
            #expect(try await connection.response().hasPrefix("HTTP/1.1 200"))
        }
    }

    /// A keep-alive connection with no request is closed after the idle timeout.
    @Test func anIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout() async throws {
        try await Self.withServer(HTTPTimeouts(idleSeconds: 1, headerSeconds: 60, bodySeconds: 60)) { port in
            let connection = try RawConnection(port: port)
            try connection.send(Self.head + "\r\n")
            #expect(try await connection.response().hasPrefix("HTTP/1.1 200"))
            let seconds = try #require(await connection.secondsUntilClosed(within: 30), "still open after 30 s")
            #expect(seconds < 20)
        }
    }
}
