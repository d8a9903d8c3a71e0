/// An IPv4 or IPv6 address, as a host names it or a resolver returns it.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// The 32 bits in network order: `127.0.0.1` is `0x7F00_0001`.
    case v4(UInt32)
    /// The 128 bits in network order, split in halves.
    case v6(high: UInt64, low: UInt64)

    /// An IPv6 address from its 16 bytes in network order.
    public init(v6Bytes bytes: some Collection<UInt8>) {
        precondition(bytes.count == 16, "an IPv6 address has 16 bytes")
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self = .v6(high: high, low: low)
    }

    /// A dotted-decimal IPv4 address written the one usual way (`192.0.2.1`: four numbers
    /// from 0 to 255 without leading zeros), or `nil`.
    public init?(dottedDecimal text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.utf8.count), part.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                  part.utf8.count == 1 || part.utf8.first != 48, let byte = UInt8(part) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        self = .v4(value)
    }

    /// An IPv6 address in its text form (`::1`, `fe80::1`, `::ffff:127.0.0.1`), or `nil`.
    public init?(ipv6 text: some StringProtocol) {
        let halves = text.split(separator: "::", omittingEmptySubsequences: false).map { String($0) }
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            guard !part.isEmpty else { return [] }
            var result: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains("."), case .v4(let v4)? = IPAddress(dottedDecimal: piece) {
                    result += [UInt16(v4 >> 16), UInt16(v4 & 0xFFFF)]
                } else {
                    guard (1...4).contains(piece.utf8.count), let group = UInt16(piece, radix: 16) else { return nil }
                    result.append(group)
                }
            }
            return result
        }
        guard let head = groups(halves[0]), let tail = halves.count == 2 ? groups(halves[1]) : [] else { return nil }
        let missing = 8 - head.count - tail.count
        guard halves.count == 2 ? missing >= 1 : missing == 0 else { return nil }
        let all = head + Array(repeating: 0, count: missing) + tail
        self.init(v6Bytes: all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })
    }

    public var description: String {
        switch self {
        case .v4(let value):
            return (0..<4).map { String(value >> (24 - 8 * $0) & 0xFF) }.joined(separator: ".")
        case .v6(let high, let low):
            // Full groups, without `::` shortening: unambiguous in a log line.
            let groups = (0..<4).map { high >> (48 - 16 * $0) & 0xFFFF } + (0..<4).map { low >> (48 - 16 * $0) & 0xFFFF }
            return groups.map { String($0, radix: 16) }.joined(separator: ":")
        }
    }

    /// Which kind of network the address belongs to; only `.public` addresses receive
    /// webhooks unless the operator allows private ones. Addresses that embed an IPv4
    /// address (IPv4-mapped, NAT64, 6to4) have the scope of the one they embed.
    public var scope: AddressScope {
        switch self {
        case .v4(let value): IPAddress.scope(v4: value)
        case .v6(let high, let low): IPAddress.scope(v6High: high, low: low)
        }
    }

    /// IANA's IPv4 special-purpose registry, reduced to what matters for an outbound call.
    static func scope(v4 value: UInt32) -> AddressScope {
        func within(_ prefix: UInt32, _ bits: UInt32) -> Bool { value >> (32 - bits) == prefix >> (32 - bits) }
        if value == 0 { return .unspecified }
        if within(0x0000_0000, 8) { return .reserved }  // 0.0.0.0/8 "this network"
        if within(0x7F00_0000, 8) { return .loopback }
        if within(0x0A00_0000, 8) || within(0xAC10_0000, 12) || within(0xC0A8_0000, 16) { return .privateUse }
        if within(0x6440_0000, 10) { return .sharedCGNAT }
        if within(0xA9FE_0000, 16) { return .linkLocal }
        if within(0xE000_0000, 4) { return .multicast }
        // 240/4 (with the broadcast address), IETF protocol assignments, the 6to4 relay,
        // benchmarking, and the three documentation networks.
        for (prefix, bits) in [(0xF000_0000, 4), (0xC000_0000, 24), (0xC058_6300, 24), (0xC612_0000, 15),
                               (0xC000_0200, 24), (0xC633_6400, 24), (0xCB00_7100, 24)] as [(UInt32, UInt32)] where within(prefix, bits) {
            return .reserved
        }
        return .public
    }

    /// IANA's IPv6 special-purpose registry: only global unicast (`2000::/3`) can be public.
    static func scope(v6High high: UInt64, low: UInt64) -> AddressScope {
        func within(_ prefix: UInt64, _ bits: UInt64) -> Bool { high >> (64 - bits) == prefix >> (64 - bits) }
        if high == 0 && low == 0 { return .unspecified }
        if high == 0 && low == 1 { return .loopback }
        if high == 0 && low >> 32 == 0xFFFF { return scope(v4: UInt32(truncatingIfNeeded: low)) }  // ::ffff:0:0/96, IPv4-mapped
        if high == 0x0064_FF9B_0000_0000 && low >> 32 == 0 { return scope(v4: UInt32(truncatingIfNeeded: low)) }  // 64:ff9b::/96, NAT64
        if within(0x0064_FF9B_0001_0000, 48) { return .privateUse }  // local-use NAT64
        if within(0x2002_0000_0000_0000, 16) { return scope(v4: UInt32(truncatingIfNeeded: high >> 16)) }  // 6to4
        if within(0xFC00_0000_0000_0000, 7) { return .privateUse }  // unique local
        if within(0xFE80_0000_0000_0000, 10) { return .linkLocal }
        if within(0xFF00_0000_0000_0000, 8) { return .multicast }
        // Teredo and documentation inside 2000::/3; everything outside it (IPv4-compatible
        // ::/96, discard 100::/64, site-local fec0::/10, unassigned space).
        if within(0x2001_0000_0000_0000, 32) || within(0x2001_0DB8_0000_0000, 32) || !within(0x2000_0000_0000_0000, 3) { return .reserved }
        return .public
    }
}

/// The kind of network an address belongs to.
public enum AddressScope: String, Sendable, CaseIterable {
    case `public`
    case loopback
    case unspecified
    case privateUse = "private"
    case linkLocal = "link-local"
    /// 100.64.0.0/10, carrier-grade NAT.
    case sharedCGNAT = "shared (carrier-grade NAT)"
    case multicast
    /// Documentation, benchmarking, protocol assignments, future use, broadcast.
    case reserved
}
