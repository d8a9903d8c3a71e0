/// How fast one API key may call: a token bucket that refills `perSecond` tokens a second
/// and holds at most `burst`. Each authenticated request takes one token.
///
/// Both are whole numbers from 1 to `maxValue`: a rate of zero would lock a key out (revoke
/// it instead), and the bound keeps the bucket's arithmetic far from overflow.
public struct RateLimit: Hashable, Sendable {
    /// Tokens added each second.
    public let perSecond: Int64
    /// The most tokens the bucket holds: how many calls may arrive at once.
    public let burst: Int64

    /// The largest `perSecond` and `burst`.
    public static let maxValue: Int64 = 1_000_000
    /// The values either field may take.
    public static let valueRange: ClosedRange<Int64> = 1...maxValue

    /// A limit, or `nil` when either value is outside `valueRange`.
    public init?(perSecond: Int64, burst: Int64) {
        guard RateLimit.valueRange.contains(perSecond), RateLimit.valueRange.contains(burst) else { return nil }
        self.perSecond = perSecond
        self.burst = burst
    }

    /// Parses configuration text `PER_SECOND:BURST`, such as `50:100`: two whole numbers in
    /// `valueRange`, digits only, and nothing else.
    public init?(configuration text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let perSecond = RateLimit.wholeNumber(parts[0]), let burst = RateLimit.wholeNumber(parts[1]) else { return nil }
        self.init(perSecond: perSecond, burst: burst)
    }

    /// The configuration text of this limit, `PER_SECOND:BURST`.
    public var configuration: String { "\(perSecond):\(burst)" }

    /// Digits only, at most 7 of them (anything longer is out of range anyway), so no
    /// sign, space, fraction or overflow gets through.
    private static func wholeNumber(_ text: Substring) -> Int64? {
        guard !text.isEmpty, text.utf8.count <= 7, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return Int64(text)
    }
}
