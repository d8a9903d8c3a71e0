#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Random identifiers and secrets, and the realtime clock their ids start with.
///
/// Here rather than in TributeCore: both read the system (the clock, `/dev/urandom`), and
/// the core holds no I/O. The core's rules take ids and times as arguments.
public enum Identifier {
    /// `prefix_`, 8 base-62 characters of the time in milliseconds, then 14 random ones
    /// (about 83 bits). Ids made later sort later, so they land at the end of an index
    /// rather than at random places in it.
    public static func make(_ prefix: String, nowMillis: Int64 = currentMillis()) -> String {
        var text = prefix
        text.reserveCapacity(prefix.utf8.count + 23)
        text.append("_")
        var time = [UInt8](repeating: 0, count: 8)
        var value = UInt64(max(0, nowMillis))
        for index in (0..<8).reversed() {
            time[index] = base62[Int(value % 62)]
            value /= 62
        }
        text.append(String(decoding: time, as: UTF8.self))
        text.append(randomBase62(count: 14))
        return text
    }

    /// Unix milliseconds from the system's realtime clock.
    public static func currentMillis() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// Random base-62 text from the system's cryptographic generator.
    public static func randomBase62(count: Int) -> String {
        String(unsafeUninitializedCapacity: count) { buffer in
            RandomPool.shared.fill(buffer, count: count) { byte in
                // 248 = 4 × 62: rejecting larger bytes keeps every character equally likely.
                byte < 248 ? base62[Int(byte % 62)] : nil
            }
            return count
        }
    }

    private static let base62 = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
}
