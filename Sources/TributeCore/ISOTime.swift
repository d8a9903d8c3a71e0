/// ISO 8601 timestamps without Foundation.
public enum ISOTime {
    /// ISO 8601 UTC text for Unix milliseconds, always with three fraction digits, e.g.
    /// `2026-11-22T10:00:00.123Z`.
    public static func format(millis: Int64) -> String {
        let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        let date = CivilDate(unixSeconds: seconds)
        let secondOfDay = seconds - date.unixSeconds
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let ms = millis - seconds * 1000
        let msText = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(date)T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)).\(msText)Z"
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SSZ` or with fractional seconds (UTC only) to
    /// Unix milliseconds.
    public static func parse(_ text: String) -> Int64? {
        if let date = CivilDate(parsing: text) { return date.unixSeconds * 1000 }
        guard text.count >= 20, text.hasSuffix("Z"), text.allSatisfy(\.isASCII) else { return nil }
        let chars = Array(text.utf8)
        let digitsAt = [11, 12, 14, 15, 17, 18]
        guard chars[10] == UInt8(ascii: "T"), chars[13] == UInt8(ascii: ":"), chars[16] == UInt8(ascii: ":"),
              digitsAt.allSatisfy({ chars[$0] >= 48 && chars[$0] <= 57 }),
              let date = CivilDate(parsing: String(decoding: chars[0..<10], as: UTF8.self)),
              let hour = Int64(String(decoding: chars[11..<13], as: UTF8.self)), hour < 24,
              let minute = Int64(String(decoding: chars[14..<16], as: UTF8.self)), minute < 60,
              let second = Int64(String(decoding: chars[17..<19], as: UTF8.self)), second < 60 else { return nil }
        var millis: Int64 = 0
        if chars[19] == UInt8(ascii: ".") {
            let fraction = chars[20..<(chars.count - 1)]
            guard !fraction.isEmpty, fraction.count <= 9, fraction.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            let padded = Array(fraction.prefix(3)) + Array(repeating: UInt8(48), count: max(0, 3 - fraction.count))
            millis = padded.reduce(0) { $0 * 10 + Int64($1 - 48) }
        } else if chars.count != 20 {
            return nil
        }
        return (date.unixSeconds + hour * 3600 + minute * 60 + second) * 1000 + millis
    }
}
