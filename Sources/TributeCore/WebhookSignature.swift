import Crypto

/// Stripe's webhook signature scheme, used for Stripe's events coming in
/// (`Stripe-Signature`) and for Tribute's going out (`Tribute-Signature`): a header
/// `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>`, possibly with several
/// `v1` (while a secret is rolled) and other schemes, which are ignored.
public enum WebhookSignature {
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// No `t` or no `v1` in the header, or a `t` that is not a number.
        case malformed
        /// No `v1` is the signature of this payload with this secret.
        case noMatchingSignature
        /// The signature is right but older than the tolerance: a replay.
        case tooOld

        public var description: String {
            switch self {
            case .malformed: "the signature header is malformed"
            case .noMatchingSignature: "no signature in the header matches the payload"
            case .tooOld: "the signature's timestamp is outside the tolerance"
            }
        }
    }

    /// Stripe's tolerance: a signature older than five minutes is refused.
    public static let defaultToleranceSeconds: Int64 = 300

    /// The header for `payload` signed at `timestampSeconds`.
    public static func header(payload: some Collection<UInt8>, secret: String, timestampSeconds: Int64) -> String {
        "t=\(timestampSeconds),v1=\(Hex.encode(mac(payload: payload, secret: secret, timestamp: String(timestampSeconds))))"
    }

    /// Checks `header` the way Stripe's libraries do: any `v1` may match, compared in
    /// constant time; then the timestamp must be no older than the tolerance.
    public static func verify(payload: some Collection<UInt8>, header: String, secret: String, nowSeconds: Int64,
                              toleranceSeconds: Int64 = defaultToleranceSeconds) throws(Failure) {
        var timestamp: Substring?
        var candidates: [[UInt8]] = []
        for item in header.split(separator: ",") {
            guard let equals = item.firstIndex(of: "=") else { continue }
            let name = item[..<equals].trimmingSpaces, value = item[item.index(after: equals)...].trimmingSpaces
            if name == "t" { timestamp = value }
            if name == "v1", let bytes = bytes(hex: value) { candidates.append(bytes) }
        }
        guard let timestamp, let seconds = Int64(timestamp), !candidates.isEmpty else { throw .malformed }
        let expected = Array(mac(payload: payload, secret: secret, timestamp: String(timestamp)))
        guard candidates.contains(where: { Hex.constantTimeEqual($0, expected) }) else { throw .noMatchingSignature }
        guard toleranceSeconds <= 0 || seconds >= nowSeconds - toleranceSeconds else { throw .tooOld }
    }

    private static func mac(payload: some Collection<UInt8>, secret: String, timestamp: String) -> HashedAuthenticationCode<SHA256> {
        var code = HMAC<SHA256>(key: SymmetricKey(data: Array(secret.utf8)))
        code.update(data: Array(timestamp.utf8))
        code.update(data: [UInt8(ascii: ".")])
        code.update(data: Array(payload))
        return code.finalize()
    }

    static func bytes(hex: Substring) -> [UInt8]? {
        guard hex.utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for char in hex.utf8 {
            let nibble: UInt8
            switch char {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = char - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = char - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = char - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let value = high {
                bytes.append(value << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return bytes
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return text
    }
}
