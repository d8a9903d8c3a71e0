import Crypto

/// Lower-case hex text of bytes and of SHA-256 digests: how chain hashes, checkpoint digests,
/// webhook signatures, API key hashes and request hashes are written.
///
/// Pure functions only; the random ids and secrets that get hashed are made in TributeStore,
/// because reading the clock and the kernel's random generator is I/O.
public enum Hex {
    /// Lower-case hex of `bytes`, two digits per byte.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Hex SHA-256 of `text`'s UTF-8, used for API key hashes and idempotent request hashes.
    public static func sha256(_ text: String) -> String {
        encode(SHA256.hash(data: Array(text.utf8)))
    }

    /// Whether two byte strings are equal, in a time that depends on their lengths only,
    /// never on where they differ: for secrets a caller could otherwise guess a byte at a
    /// time (webhook signatures, the metrics token).
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
