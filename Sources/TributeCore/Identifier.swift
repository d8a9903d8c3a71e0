import Crypto

/// Random identifiers and secrets.
public enum Identifier {
    /// `prefix_` and 22 random base-62 characters (about 131 bits).
    public static func make(_ prefix: String) -> String {
        prefix + "_" + randomBase62(count: 22)
    }

    /// Random base-62 text from the system's cryptographic generator.
    public static func randomBase62(count: Int) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        for _ in 0..<count { bytes.append(alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))]) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Hex SHA-256 of `text`, used for API key hashes and idempotent request hashes.
    public static func sha256Hex(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }
}
