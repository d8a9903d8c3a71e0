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

    /// The bytes of lower- or upper-case hex text, two digits a byte.
    /// - Returns: `nil` for text of an odd length or with another character.
    public static func decode(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
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
