import Hummingbird
import NIOCore
import TributeCore

/// Where a request came from, as a per-address limit counts it: an IPv4 address, or the
/// `/64` network of an IPv6 address (one host is usually given a whole `/64`, so counting
/// single IPv6 addresses would hand it 2⁶⁴ buckets). An IPv4-mapped IPv6 peer
/// (`::ffff:192.0.2.1`, what a dual-stack socket reports) counts as its IPv4 address.
///
/// It is the connection's peer: behind a reverse proxy every request comes from the proxy,
/// and `X-Forwarded-For` is not read (a client could write any address there).
struct ClientAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address or network counted; `nil` for a peer without an IP address.
    let network: IPAddress?

    /// A peer without an IP address (a Unix socket, a test's channel). Tribute listens on
    /// TCP only, so its callers leave it uncounted rather than share one bucket among all.
    static let unknown = ClientAddress(network: nil)

    private init(network: IPAddress?) { self.network = network }

    init(_ address: IPAddress) {
        switch address {
        case .v4: network = address
        case .v6(let high, let low) where high == 0 && low >> 32 == 0xFFFF: network = .v4(UInt32(truncatingIfNeeded: low))
        case .v6(let high, _): network = .v6(high: high, low: 0)
        }
    }

    /// The peer of a connection; `.unknown` when it has no IP address.
    init(peer: SocketAddress?) {
        guard let text = peer?.ipAddress, let address = IPAddress(dottedDecimal: text) ?? IPAddress(ipv6: text) else {
            self = .unknown
            return
        }
        self.init(address)
    }

    var description: String {
        switch network {
        case nil: "unknown"
        case .v4(let value)?: IPAddress.v4(value).description
        case .v6(let high, let low)?: IPAddress.v6(high: high, low: low).description + "/64"
        }
    }
}

extension TributeContext {
    /// The address of the peer this request came from (see `ClientAddress`).
    var clientAddress: ClientAddress { ClientAddress(peer: channel.remoteAddress) }
}

/// One token bucket per client address, all shaped by the same `limit`: for what a caller
/// can do before it has shown a valid key (a failed dashboard sign-in, say), where there is
/// no key's bucket to take from. Callers decide what to answer: `take` only counts.
///
/// Per instance, like `RateLimiter`. Memory is bounded whatever addresses call: at most
/// `maxAddresses` buckets (`TokenBuckets`).
final class AddressRateLimiter: @unchecked Sendable {
    let limit: RateLimit
    private let nowMillis: @Sendable () -> Int64
    private let lock = Lock()
    private var buckets: TokenBuckets<ClientAddress>

    /// - Parameter nowMillis: the clock, in milliseconds; tests pass one they move by hand.
    init(limit: RateLimit, maxAddresses: Int = 10_000, nowMillis: @escaping @Sendable () -> Int64) {
        self.limit = limit
        self.buckets = TokenBuckets(maxBuckets: maxAddresses)
        self.nowMillis = nowMillis
    }

    /// The most buckets held.
    var maxAddresses: Int { buckets.maxBuckets }

    /// Takes a token from `address`'s bucket if it holds one; either way says what is left.
    @discardableResult
    func take(_ address: ClientAddress) -> TokenBucket.Outcome {
        let nowMillis = nowMillis()
        return lock.withLock { buckets.take(address, limit: limit, nowMillis: nowMillis) }
    }

    /// What `take` would answer now, without taking a token or holding a bucket: lets a
    /// caller refuse an address that is out of tokens before doing any work for it.
    func peek(_ address: ClientAddress) -> TokenBucket.Outcome {
        let nowMillis = nowMillis()
        return lock.withLock { buckets.peek(address, limit: limit, nowMillis: nowMillis) }
    }

    /// How many buckets are held, for tests.
    var bucketCount: Int { lock.withLock { buckets.count } }
}
