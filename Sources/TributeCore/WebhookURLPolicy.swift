/// Where outbound webhooks may go. By default only to public addresses, so that an admin
/// key cannot make the server call into its own network (loopback, private ranges, cloud
/// metadata at 169.254.169.254). The operator may allow private addresses
/// (`TRIBUTE_WEBHOOK_ALLOW_PRIVATE=1`) for receivers on the same network.
///
/// A URL's host is checked twice: at registration, as written (`check(host:)`), and at each
/// delivery, every address its name resolves to (`check(host:resolvedTo:)`).
public struct WebhookURLPolicy: Sendable, Equatable {
    public var allowsPrivateAddresses: Bool

    public init(allowsPrivateAddresses: Bool) { self.allowsPrivateAddresses = allowsPrivateAddresses }

    /// Public addresses only: the default.
    public static let publicOnly = WebhookURLPolicy(allowsPrivateAddresses: false)
    /// Any address, for receivers on the operator's own network.
    public static let anyAddress = WebhookURLPolicy(allowsPrivateAddresses: true)

    /// What a URL's host names: an address to call as is, or a name to resolve first.
    public enum Host: Equatable, Sendable {
        case address(IPAddress)
        case name(String)
    }

    /// Why a host may not receive webhooks; `description` is the sentence for people.
    public enum Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        /// A literal address outside the public internet.
        case nonPublicAddress(IPAddress, AddressScope)
        /// `localhost` and its subdomains always mean this machine.
        case localName(String)
        /// A number that resolvers read as an IPv4 address (`2130706433`, `0x7f.1`,
        /// `0177.0.0.1`, `127.1`): refused whatever it means, since it hides what it means
        /// (unless any address is allowed anyway).
        case unusualIPv4Spelling(String)
        /// A name that resolved to an address outside the public internet.
        case resolvesToNonPublicAddress(host: String, IPAddress, AddressScope)
        case unresolvable(String)
        /// A name no resolver would look up (`-a.com`, `a..com`, a label of 64 bytes):
        /// refused at registration, whatever the operator allows, so that it never becomes
        /// an endpoint whose every delivery fails.
        case malformedName(String)

        public var description: String {
            let remedy = "; the operator can allow private addresses with TRIBUTE_WEBHOOK_ALLOW_PRIVATE=1"
            switch self {
            case .nonPublicAddress(let address, let scope):
                return "url must point to a public address, and \(address) is \(scope.rawValue)" + remedy
            case .localName(let host):
                return "url must point to a public address, and \(host) is this machine" + remedy
            case .unusualIPv4Spelling(let host):
                return "url host \(host) reads as a number: write an IPv4 address as four decimal numbers (like 192.0.2.1), or use a name"
            case .resolvesToNonPublicAddress(let host, let address, let scope):
                return "\(host) resolves to \(address), which is \(scope.rawValue); webhooks go to public addresses only" + remedy
            case .unresolvable(let host):
                return "\(host) does not resolve to any address"
            case .malformedName(let host):
                return "url host \(host) is not a host name: labels of 1 to 63 letters, digits and -, not starting or ending with -, separated by single dots"
            }
        }
    }

    /// Reads a URL's host as written. A host whose last label is a number is an IPv4
    /// address and must be written the usual dotted-decimal way; anything else is a name.
    /// - Throws: `Refusal` for a malformed name (always), or a non-public address,
    ///   `localhost`, or an unusual IPv4 spelling, unless private addresses are allowed.
    public func check(host text: String) throws(Refusal) -> Host {
        let host = text.lowercased()
        let bare = host.hasSuffix(".") ? String(host.dropLast()) : host
        if let address = IPAddress(ipv6: bare) {
            let scope = address.scope
            guard scope == .public || allowsPrivateAddresses else { throw .nonPublicAddress(address, scope) }
            return .address(address)
        }
        guard WebhookURLPolicy.isHostName(host) else { throw .malformedName(text) }
        let lastLabel = bare.split(separator: ".", omittingEmptySubsequences: false).last ?? ""
        if WebhookURLPolicy.isNumber(lastLabel) {
            guard host == bare, let address = IPAddress(dottedDecimal: bare) else {
                if allowsPrivateAddresses { return .name(bare) }
                throw .unusualIPv4Spelling(text)
            }
            let scope = address.scope
            guard scope == .public || allowsPrivateAddresses else { throw .nonPublicAddress(address, scope) }
            return .address(address)
        }
        guard allowsPrivateAddresses || !(bare == "localhost" || bare.hasSuffix(".localhost")) else { throw .localName(text) }
        return .name(bare)
    }

    /// Checks every address a name resolved to: one private answer refuses the delivery,
    /// since the HTTP client may connect to any of them.
    /// - Throws: `Refusal.resolvesToNonPublicAddress`, or `.unresolvable` for no addresses.
    public func check(host: String, resolvedTo addresses: [IPAddress]) throws(Refusal) {
        guard !addresses.isEmpty else { throw .unresolvable(host) }
        guard !allowsPrivateAddresses else { return }
        for address in addresses where address.scope != .public {
            throw .resolvesToNonPublicAddress(host: host, address, address.scope)
        }
    }

    /// The host of an `http(s)://host[:port][/path]` URL (brackets kept off an IPv6 literal).
    public static func host(ofURL url: String) -> String? {
        guard let schemeEnd = url.firstRange(of: "://") else { return nil }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            return String(authority[authority.index(after: authority.startIndex)..<close])
        }
        let host = authority.prefix { $0 != ":" }
        return host.isEmpty ? nil : String(host)
    }

    /// Whether `text` is a host name as DNS spells one (RFC 1123): labels of 1 to 63
    /// ASCII letters, digits and `-`, neither first nor last a `-`, joined by single dots,
    /// with one optional dot at the end. An IPv4 address is such a name too (its meaning is
    /// `check(host:)`'s to read). `openapi.yaml`'s pattern for webhook URLs says the same.
    /// The whole name's length is not bounded here (a name past 253 bytes simply does not
    /// resolve), so that the rule stays one a regular expression can state.
    public static func isHostName(_ text: String) -> Bool {
        let name = text.hasSuffix(".") ? text.utf8.dropLast() : text.utf8[...]
        guard !name.isEmpty else { return false }
        return name.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy { label in
            guard (1...63).contains(label.count), label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else { return false }
            return label.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == UInt8(ascii: "-")
            }
        }
    }

    /// What inet_aton and URL parsers read as a number: decimal digits, or `0x` and hex.
    static func isNumber(_ label: Substring) -> Bool {
        if label.hasPrefix("0x") { return label.dropFirst(2).allSatisfy(\.isHexDigit) }
        return !label.isEmpty && label.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
