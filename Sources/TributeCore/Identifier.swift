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
        // One call to the system generator per 10 characters (62^10 < 2^64), not one per
        // character: ids are made on the hot path.
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            var word = generator.next(upperBound: UInt64(839_299_365_868_340_224)) // 62^10
            for _ in 0..<min(10, count - bytes.count) {
                bytes.append(alphabet[Int(word % 62)])
                word /= 62
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Hex SHA-256 of `text`, used for API key hashes and idempotent request hashes.
    public static func sha256Hex(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }
}
