/// Parsing of decimal text (a JSON number literal) into an exact `Amount`.
extension Amount {
    /// Why a decimal literal is not an acceptable amount.
    public enum ParseFailure: Error, Equatable, Sendable {
        case notANumber
        case tooManyDecimals
        case outOfRange
    }

    /// Parses a JSON number literal (`12`, `0.25`, `1e3`, `2.5E-2`) exactly.
    /// Digits beyond the sixth decimal are accepted only when they are zeros.
    ///
    /// Every step is checked arithmetic: the literal can be any length and any exponent, and
    /// nothing past `Amount.max` is ever built, so no input can trap.
    /// - Throws: `ParseFailure` when the text is not a number, has non-zero digits beyond
    ///   micro-units, or exceeds `Amount.max` in magnitude.
    public static func parse(_ text: some StringProtocol) throws(ParseFailure) -> Amount {
        let literal = try DecimalLiteral(Array(text.utf8))
        // value = digits × 10^exponent; micros = value × 10^6.
        let shift = literal.exponent + 6
        var digits = literal.digits[...]
        // Digits below a micro-unit must be zeros; they are dropped.
        if shift < 0 {
            let dropped = min(-shift, digits.count)
            guard digits.suffix(dropped).allSatisfy({ $0 == 0 }) else { throw .tooManyDecimals }
            digits = digits.dropLast(dropped)
        }
        var micros: Int64 = 0
        for digit in digits {
            micros = try appendingDigit(micros, digit)
        }
        if micros != 0 && shift > 0 {
            // Past 19 places any non-zero value is out of range; the loop stops early.
            for _ in 0..<min(shift, 19) { micros = try appendingDigit(micros, 0) }
            guard shift < 19 else { throw .outOfRange }
        }
        return Amount(micros: literal.negative ? -micros : micros)
    }

    /// `value × 10 + digit`, refused past `Amount.max`.
    private static func appendingDigit(_ value: Int64, _ digit: UInt8) throws(ParseFailure) -> Int64 {
        let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
        let (next, carry) = times10.addingReportingOverflow(Int64(digit))
        guard !overflow, !carry, next <= Amount.max.micros else { throw .outOfRange }
        return next
    }
}

/// A JSON number literal taken apart: its significant digits (leading zeros removed) and the
/// power of ten they are scaled by.
private struct DecimalLiteral {
    var negative = false
    var digits: [UInt8] = []
    var exponent = 0

    /// Exponents are refused past this many digits; any real amount needs at most two.
    private static let maxExponentDigits = 4

    init(_ bytes: [UInt8]) throws(Amount.ParseFailure) {
        var index = 0
        if bytes.first == UInt8(ascii: "-") { negative = true; index = 1 }
        var fractionDigits = 0
        var sawDigit = false
        var seenPoint = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= 48 && byte <= 57 {
                sawDigit = true
                // Leading zeros carry no value; keeping them out bounds the digit list by
                // what can matter, whatever the literal's length.
                if !(digits.isEmpty && byte == 48) { digits.append(byte - 48) }
                if seenPoint { fractionDigits += 1 }
            } else if byte == UInt8(ascii: ".") && !seenPoint {
                seenPoint = true
            } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                guard sawDigit else { throw .notANumber }
                exponent = try DecimalLiteral.parseExponent(bytes[(index + 1)...])
                break
            } else {
                throw .notANumber
            }
            index += 1
        }
        guard sawDigit else { throw .notANumber }
        // Both are bounded (a 64 KiB body, a 4-digit exponent), so this cannot overflow.
        exponent -= fractionDigits
    }

    private static func parseExponent(_ bytes: ArraySlice<UInt8>) throws(Amount.ParseFailure) -> Int {
        var rest = bytes
        var negative = false
        if rest.first == UInt8(ascii: "+") { rest = rest.dropFirst() } else if rest.first == UInt8(ascii: "-") { negative = true; rest = rest.dropFirst() }
        guard !rest.isEmpty, rest.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { throw .notANumber }
        // `1e-00000000000000000001` is still 0.1; only significant exponent digits count.
        while rest.count > 1, rest.first == 48 { rest = rest.dropFirst() }
        guard rest.count <= maxExponentDigits else { throw negative ? .tooManyDecimals : .outOfRange }
        let value = rest.reduce(0) { $0 * 10 + Int($1 - 48) }
        return negative ? -value : value
    }
}
