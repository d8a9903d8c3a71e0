#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOPosix
import TributeCore

/// Resolves host names the way the HTTP client will: `getaddrinfo`, IPv4 and IPv6.
public enum HostResolver {
    /// Every address `host` resolves to, looked up on NIO's thread pool so that the blocking
    /// call holds no task thread.
    /// - Throws: `Failure` when the name does not resolve.
    public static func addresses(_ host: String) async throws -> [IPAddress] {
        try await NIOThreadPool.singleton.runIfActive { try blockingAddresses(host) }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let host: String
        public let reason: String
        public var description: String { "\(host) could not be resolved: \(reason)" }
    }

    static func blockingAddresses(_ host: String) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else { throw Failure(host: host, reason: String(cString: gai_strerror(status))) }
        defer { freeaddrinfo(first) }
        var addresses: [IPAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let socketAddress = entry.pointee.ai_addr {
                switch Int32(socketAddress.pointee.sa_family) {
                case AF_INET:
                    let v4 = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
                    addresses.append(.v4(UInt32(bigEndian: v4)))
                case AF_INET6:
                    var v6 = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_addr }
                    addresses.append(withUnsafeBytes(of: &v6) { IPAddress(v6Bytes: $0) })
                default:
                    break
                }
            }
            cursor = entry.pointee.ai_next
        }
        return addresses
    }
}
