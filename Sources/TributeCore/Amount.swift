/// An exact amount of actions or credits, in millionths (micro-units).
///
/// Money and actions are never floating point: every amount in Tribute is an `Int64` count
/// of micro-units, parsed from and printed to decimal text without passing through `Double`.
public struct Amount: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Micro-units per whole unit (10⁶).
    public static let scale: Int64 = 1_000_000
    /// The largest amount any API accepts: 10¹² whole units, far above any real balance and
    /// far below `Int64.max` so that sums of many amounts cannot overflow.
    public static let max = Amount(micros: 1_000_000_000_000 * scale)
    public static let zero = Amount(micros: 0)
    public static let one = Amount(micros: scale)

    public let micros: Int64

    public init(micros: Int64) { self.micros = micros }

    /// A whole number of units.
    public init(units: Int64) { self.micros = units * Amount.scale }

    public static func < (lhs: Amount, rhs: Amount) -> Bool { lhs.micros < rhs.micros }
    public static func + (lhs: Amount, rhs: Amount) -> Amount { Amount(micros: lhs.micros + rhs.micros) }
    public static func - (lhs: Amount, rhs: Amount) -> Amount { Amount(micros: lhs.micros - rhs.micros) }
    public static prefix func - (value: Amount) -> Amount { Amount(micros: -value.micros) }
    public static func += (lhs: inout Amount, rhs: Amount) { lhs = lhs + rhs }
    public static func -= (lhs: inout Amount, rhs: Amount) { lhs = lhs - rhs }

    /// `self + other`, or `nil` when the result would pass `Amount.max` in magnitude. Every
    /// sum that can grow without bound (a balance, a system account, a budget's use) goes
    /// through this or `subtracting(_:)`: no sequence of requests can overflow a stored
    /// amount.
    public func adding(_ other: Amount) -> Amount? {
        let (sum, overflow) = micros.addingReportingOverflow(other.micros)
        guard !overflow, sum.magnitude <= Amount.max.micros.magnitude else { return nil }
        return Amount(micros: sum)
    }

    /// `self - other`, or `nil` when the result would pass `Amount.max` in magnitude.
    public func subtracting(_ other: Amount) -> Amount? {
        let (difference, overflow) = micros.subtractingReportingOverflow(other.micros)
        guard !overflow, difference.magnitude <= Amount.max.micros.magnitude else { return nil }
        return Amount(micros: difference)
    }

    public var isZero: Bool { micros == 0 }
    public var isNegative: Bool { micros < 0 }

    /// Decimal text with at most six decimals and no trailing zeros: `12`, `0.5`, `-3.000001`.
    /// Written backwards into a small buffer: every answer writes several amounts.
    public var description: String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            let end = buffer.count
            var start = end
            func put(_ byte: UInt8) {
                start -= 1
                buffer[start] = byte
            }
            let magnitude = micros.magnitude
            var whole = magnitude / UInt64(Amount.scale)
            var fraction = magnitude % UInt64(Amount.scale)
            if fraction != 0 {
                var digits = 6
                while fraction % 10 == 0 {
                    fraction /= 10
                    digits -= 1
                }
                for _ in 0..<digits {
                    put(UInt8(truncatingIfNeeded: fraction % 10) + 48)
                    fraction /= 10
                }
                put(UInt8(ascii: "."))
            }
            repeat {
                put(UInt8(truncatingIfNeeded: whole % 10) + 48)
                whole /= 10
            } while whole != 0
            if micros < 0 { put(UInt8(ascii: "-")) }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<end]), as: UTF8.self)
        }
    }
}
