import PropertyBased
import Testing
@testable import TributeCore

/// Amount parsing and arithmetic against a model written in decimal text, over literals of
/// every size a client can send: 1 to 40 digits, a decimal point anywhere, exponents far
/// past any real amount. Nothing may trap; every result must be the model's.
@Suite struct AmountPropertyTests {
    /// A literal: digits, where the point goes (nil: none), an exponent (nil: none), a sign.
    static let literals = zip(
        Gen.int(in: 0...9).array(of: 1...40), Gen.int(in: -1...40), Gen.int(in: -40...40), Gen.bool, Gen.int(in: 0...3)
    ).map { digits, point, exponent, negative, style -> String in
        var text = digits.map(String.init).joined()
        if point >= 0 && point < text.count {
            text.insert(".", at: text.index(text.startIndex, offsetBy: point))
            if text.hasPrefix(".") { text = "0" + text }
            if text.hasSuffix(".") { text += "0" }
        }
        switch style {
        case 1: text += "e\(exponent)"
        case 2: text += "E\(exponent >= 0 ? "+" : "")\(exponent)"
        default: break
        }
        return (negative ? "-" : "") + text
    }

    @Test func parsingAgreesWithTheDecimalModelAndNeverTraps() async {
        await propertyCheck(count: 2_000, input: AmountPropertyTests.literals) { text in
            let expected = DecimalModel.micros(text)
            switch (Result { () throws(Amount.ParseFailure) in try Amount.parse(text) }, expected) {
            case (.success(let amount), .success(let micros)): #expect(amount.micros == micros, "\(text)")
            case (.failure(let failure), .failure(let modelFailure)): #expect(failure == modelFailure, "\(text)")
            case (let got, let want): Issue.record("\(text): parsed \(got), model says \(want)")
            }
        }
    }

    /// The literals that once ended the server (SPEC §3.3's first finding), and their kin.
    @Test(arguments: [
        "9999999999999.999999", "9999999999999999999e-6", "92233720368547758080e-7", "9223372036854775807", "-9223372036854775808",
        "18446744073709551616", "1e19", "1" + String(repeating: "0", count: 40), "1e9999", "1e99999", "1000000000000.000001",
        "-1000000000000.000001", "99999999999999999999999999999999999999.999999",
    ])
    func literalsPastTheLargestAmountAreRefused(text: String) {
        #expect(throws: Amount.ParseFailure.outOfRange) { try Amount.parse(text) }
    }

    @Test(arguments: ["1e-19", "0.00000000000000000001", "0." + String(repeating: "0", count: 40) + "1", "1e-9999", "1e-99999"])
    func literalsBelowAMicroUnitAreRefused(text: String) {
        #expect(throws: Amount.ParseFailure.tooManyDecimals) { try Amount.parse(text) }
    }

    @Test func sumsAndDifferencesAreNilPastTheBoundAndExactWithin() async {
        let micros = Gen.int64(in: -Amount.max.micros...Amount.max.micros)
        await propertyCheck(count: 2_000, input: micros, micros) { a, b in
            let (sum, sumOverflow) = a.addingReportingOverflow(b)
            let (difference, differenceOverflow) = a.subtractingReportingOverflow(b)
            let bound = Amount.max.micros.magnitude
            #expect(Amount(micros: a).adding(Amount(micros: b))?.micros == (!sumOverflow && sum.magnitude <= bound ? sum : nil))
            #expect(Amount(micros: a).subtracting(Amount(micros: b))?.micros == (!differenceOverflow && difference.magnitude <= bound ? difference : nil))
        }
    }

    @Test func postingsPastTheBoundThrowAmountTooLarge() throws {
        let posting = Posting(account: .wallet("w"), amount: .max)
        #expect(throws: TributeError.self) { try posting.applied(to: Amount(micros: 1)) }
        #expect(try posting.applied(to: .zero) == .max)
        let system = SystemBalances([.grants: -Amount.max])
        // Nothing in credits to net against: the workspaces would hold more than the bound.
        #expect(throws: TributeError.self) { try system.settling([Posting(account: .system(.grants), amount: Amount(micros: -1))]) }
    }
}

/// Decimal literals evaluated with text only, as a reference for `Amount.parse`.
enum DecimalModel {
    static func micros(_ literal: String) -> Result<Int64, Amount.ParseFailure> {
        var text = Substring(literal)
        let negative = text.hasPrefix("-")
        if negative { text = text.dropFirst() }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            var exponentText = text[text.index(after: e)...]
            if exponentText.hasPrefix("+") { exponentText = exponentText.dropFirst() }
            guard let value = Int(exponentText) else { return .failure(.outOfRange) }
            exponent = value
            text = text[..<e]
        }
        var digits = text.replacingOccurrences(of: ".", with: "")
        if let point = text.firstIndex(of: ".") { exponent -= text.distance(from: point, to: text.endIndex) - 1 }
        exponent += 6
        // micros = digits × 10^exponent
        if exponent < 0 {
            let cut = min(-exponent, digits.count)
            guard digits.suffix(cut).allSatisfy({ $0 == "0" }) else { return .failure(.tooManyDecimals) }
            digits = String(digits.dropLast(cut))
        } else if digits.contains(where: { $0 != "0" }) {
            // Only a non-zero value grows with the exponent; zeros stay zero at any scale.
            guard exponent <= 40 else { return .failure(.outOfRange) }
            digits += String(repeating: "0", count: exponent)
        }
        let significant = String(digits.drop { $0 == "0" })
        let max = String(Amount.max.micros)
        if significant.count > max.count || (significant.count == max.count && significant > max) { return .failure(.outOfRange) }
        let value = significant.isEmpty ? 0 : Int64(significant)!
        return .success(negative ? -value : value)
    }
}

