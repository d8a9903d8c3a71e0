import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TributeCore

/// The Swift client of Tribute's API, for agents: authorize-and-debit, holds and
/// `withHold`, and the reads an agent needs.
///
/// Every write carries an `Idempotency-Key` made once per logical call and sent on each of
/// its retries, so a retry never charges twice. Calls that fail in transit or answer 429 or
/// 500/502/503/504 are retried with backoff, bounded in attempts and in time
/// (`RetryPolicy`); when Tribute cannot be reached at all, `OutagePolicy` decides.
///
/// A client made without an `HTTPClient` owns one: call `shutdown()` once you are done.
public final class TributeClient: Sendable {
    public let configuration: Configuration
    let exchange: Exchange
    let allowances = LocalAllowances()
    private let ownedHTTPClient: HTTPClient?

    /// A client of the server at `baseURL` (such as `http://127.0.0.1:8080`) with `apiKey`.
    /// - Parameter httpClient: one to share (configured as
    ///   `recommendedHTTPClientConfiguration`); the client never shuts it down. Without one
    ///   the client makes its own, and `shutdown()` must be called.
    /// - Throws: `TributeClientError.invalidConfiguration` for a base URL that is not
    ///   `http(s)://host[:port][/path]` or a key that is not visible ASCII.
    public convenience init(baseURL: String, apiKey: String, configuration: Configuration = Configuration(), httpClient: HTTPClient? = nil) throws {
        let base = try Self.validatedBaseURL(baseURL)
        guard !apiKey.isEmpty, apiKey.utf8.count <= 1024, apiKey.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw TributeClientError.invalidConfiguration("the API key must be 1 to 1024 visible ASCII characters")
        }
        let owned = httpClient == nil ? Self.makeHTTPClient(connectTimeoutMillis: configuration.requestTimeoutMillis) : nil
        let http = httpClient ?? owned
        guard let http else { throw TributeClientError.invalidConfiguration("no HTTP client") }
        self.init(transport: HTTPClientTransport(http: http, baseURL: base, apiKey: apiKey), configuration: configuration, ownedHTTPClient: owned)
    }

    /// A client over any transport (tests wrap the real one).
    init(transport: any Transport, configuration: Configuration, ownedHTTPClient: HTTPClient? = nil,
         random: @escaping @Sendable (ClosedRange<Int64>) -> Int64 = { Int64.random(in: $0) }) {
        self.configuration = configuration
        self.exchange = Exchange(transport: transport, policy: configuration.retry, requestTimeoutMillis: configuration.requestTimeoutMillis, random: random)
        self.ownedHTTPClient = ownedHTTPClient
    }

    /// Shuts down the `HTTPClient` the client made for itself; does nothing for one it was
    /// given. No call may be made after it.
    public func shutdown() async throws {
        try await ownedHTTPClient?.shutdown()
    }

    /// The calls allowed locally under `.failOpen` and not yet drained.
    public var unrecordedActions: [UnrecordedAction] { allowances.current }

    /// Takes the calls allowed locally under `.failOpen`, freeing their places under
    /// `maxActions`: report them (`report(_:)`) or bill them otherwise.
    public func drainUnrecorded() -> [UnrecordedAction] { allowances.drain() }

    /// The idempotency key of one logical call: the caller's, or a new one.
    /// - Throws: `.invalidConfiguration` for a key the server would refuse (it takes 1 to 255
    ///   visible ASCII characters): refused here, before anything is sent, rather than
    ///   failing every attempt as if Tribute could not be reached.
    static func idempotencyKey(_ supplied: String?) throws -> String {
        guard let supplied else { return UUID().uuidString.lowercased() }
        guard !supplied.isEmpty, supplied.utf8.count <= 255, supplied.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw TributeClientError.invalidConfiguration("an idempotency key must be 1 to 255 visible ASCII characters")
        }
        return supplied
    }

    static func validatedBaseURL(_ text: String) throws -> String {
        var base = text
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil else {
            throw TributeClientError.invalidConfiguration("the base URL must be http(s)://host[:port][/path], not \"\(text.prefix(200))\"")
        }
        return base
    }

    /// The configuration of the `HTTPClient` a client makes for itself; use it for one you
    /// pass in. It follows no redirect, so that the API key goes to the base URL only, and
    /// fails an attempt at once when no connection can be made (rather than retrying the
    /// connection until the attempt's timeout), so that the retry policy alone decides when
    /// and how often to try again.
    public static func recommendedHTTPClientConfiguration(requestTimeoutMillis: Int64 = 5_000) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .milliseconds(max(1, requestTimeoutMillis))))
        configuration.connectionPool.retryConnectionEstablishment = false
        return configuration
    }

    private static func makeHTTPClient(connectTimeoutMillis: Int64) -> HTTPClient {
        HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: recommendedHTTPClientConfiguration(requestTimeoutMillis: connectTimeoutMillis))
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:")

    /// `text` as one path segment: ids are letters, digits and `._:-`, but an id from
    /// elsewhere must not change the path.
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }
}
