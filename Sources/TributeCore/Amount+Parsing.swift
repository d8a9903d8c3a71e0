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
    /// - Throws: `ParseFailure` when the text is not a number, has non-zero digits beyond
    ///   micro-units, or exceeds `Amount.max` in magnitude.
    public static func parse(_ text: some StringProtocol) throws(ParseFailure) -> Amount {
        var bytes = Array(text.utf8)[...]
        guard !bytes.isEmpty else { throw .notANumber }
        var negative = false
        if bytes.first == UInt8(ascii: "-") { negative = true; bytes = bytes.dropFirst() }
        var digits: [UInt8] = []
        var fractionDigits = 0
        var seenPoint = false
        var exponent = 0
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte >= 48 && byte <= 57 {
                digits.append(byte - 48)
                if seenPoint { fractionDigits += 1 }
            } else if byte == UInt8(ascii: ".") && !seenPoint {
                seenPoint = true
            } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                exponent = try parseExponent(bytes[(index + 1)...])
                break
            } else {
                throw .notANumber
            }
            index += 1
        }
        guard !digits.isEmpty else { throw .notANumber }
        // value = digits × 10^(exponent - fractionDigits); we want micros = value × 10^6.
        let shift = exponent - fractionDigits + 6
        var significant = digits[...]
        while let first = significant.first, first == 0, significant.count > 1 { significant = significant.dropFirst() }
        var micros: Int64 = 0
        if shift >= 0 {
            guard significant.count + shift <= 19 || significant.allSatisfy({ $0 == 0 }) else { throw .outOfRange }
            for digit in significant { micros = micros * 10 + Int64(digit) }
            for _ in 0..<min(shift, 19) where micros != 0 {
                let (next, overflow) = micros.multipliedReportingOverflow(by: 10)
                guard !overflow else { throw .outOfRange }
                micros = next
            }
        } else {
            let dropped = -shift
            let kept = significant.count - dropped
            if kept < 0 {
                guard significant.allSatisfy({ $0 == 0 }) else { throw .tooManyDecimals }
            } else {
                guard significant.suffix(dropped).allSatisfy({ $0 == 0 }) else { throw .tooManyDecimals }
                guard kept <= 19 else { throw .outOfRange }
                for digit in significant.prefix(kept) {
                    let (next, overflow) = micros.multipliedReportingOverflow(by: 10)
                    guard !overflow else { throw .outOfRange }
                    micros = next + Int64(digit)
                }
            }
        }
        guard micros <= Amount.max.micros else { throw .outOfRange }
        return Amount(micros: negative ? -micros : micros)
    }

    private static func parseExponent(_ bytes: ArraySlice<UInt8>) throws(ParseFailure) -> Int {
        var rest = bytes
        var negative = false
        if rest.first == UInt8(ascii: "+") { rest = rest.dropFirst() } else if rest.first == UInt8(ascii: "-") { negative = true; rest = rest.dropFirst() }
        guard !rest.isEmpty, rest.count <= 4 else { throw rest.isEmpty ? .notANumber : (negative ? .tooManyDecimals : .outOfRange) }
        var value = 0
        for byte in rest {
            guard byte >= 48 && byte <= 57 else { throw .notANumber }
            value = value * 10 + Int(byte - 48)
        }
        return negative ? -value : value
    }
}
