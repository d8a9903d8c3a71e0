import Testing
@testable import TributeCore

@Suite struct AmountTests {
    @Test(arguments: [
        ("0", 0), ("1", 1_000_000), ("1.5", 1_500_000), ("0.000001", 1), ("-2.25", -2_250_000),
        ("1e3", 1_000_000_000), ("2.5E-2", 25_000), ("1.0000000", 1_000_000), ("1000000000000", 1_000_000_000_000_000_000),
    ])
    func decimalTextParsesExactly(text: String, micros: Int64) throws {
        #expect(try Amount.parse(text).micros == micros)
    }

    @Test(arguments: [
        ("0.0000001", Amount.ParseFailure.tooManyDecimals), ("1e-7", .tooManyDecimals), ("1e400", .outOfRange),
        ("1000000000001", .outOfRange), ("abc", .notANumber), ("", .notANumber), ("1.2.3", .notANumber), ("NaN", .notANumber),
        ("99999999999999999999999", .outOfRange),
    ])
    func badDecimalTextIsRefused(text: String, failure: Amount.ParseFailure) {
        #expect(throws: failure) { try Amount.parse(text) }
    }

    @Test(arguments: [
        (1_500_000, "1.5"), (1, "0.000001"), (-2_250_000, "-2.25"), (0, "0"), (7_000_000, "7"), (100_000, "0.1"), (10, "0.00001"),
        (-1, "-0.000001"), (Int64.max, "9223372036854.775807"), (Int64.min, "-9223372036854.775808"), (1_000_000_000_000_000_000, "1000000000000"),
    ] as [(Int64, String)])
    func amountsPrintWithAtMostSixDecimals(micros: Int64, text: String) {
        #expect(Amount(micros: micros).description == text)
    }

    @Test(arguments: [
        // (a, b, a×b) in micros; anything past a micro-unit rounds up to the next.
        (2_000_000, 1_500_000, 3_000_000), (1, 500_000, 1), (1, 499_999, 1), (1, 1, 1), (3, 333_333, 1), (1_000_000, 1, 1),
        (500_000, 500_000, 250_000), (1_234_567, 1_000_000, 1_234_567), (1_000_001, 1_000_001, 1_000_003), (0, 7, 0),
    ])
    func multiplicationRoundsUpToAMicroUnit(a: Int64, b: Int64, product: Int64) {
        #expect(Amount(micros: a).multiplied(by: Amount(micros: b)) == Amount(micros: product))
    }

    @Test func multiplicationOverflowIsNilNotACrash() {
        #expect(Amount.max.multiplied(by: Amount(units: 2)) == nil)
        #expect(Amount(micros: Int64.max).multiplied(by: Amount(micros: Int64.max)) == nil)
        #expect(Amount(units: -1).multiplied(by: .one) == nil)
    }
}

@Suite struct JSONTests {
    @Test(arguments: ["{", "{\"a\":1,}", "[1,2", "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":01}", "{\"a\":1}x", "{\"a\":1,\"a\":2}", "\"\\ud800\"", "{\"a\":\"\u{01}\"}", "nul"])
    func malformedJSONIsRefused(text: String) {
        #expect(throws: JSON.ParseError.self) { try JSON.parse(Array(text.utf8)) }
    }

    @Test func deepNestingIsRefused() {
        let text = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSON.ParseError.self) { try JSON.parse(Array(text.utf8)) }
    }

    @Test func numbersKeepTheirExactText() throws {
        let value = try JSON.parse(Array(#"{"m": 0.1000001, "s": "é\n\u00e9"}"#.utf8))
        #expect(value == .object(["m": .number("0.1000001"), "s": .string("é\né")]))
        #expect(value.serialized == #"{"m":0.1000001,"s":"é\né"}"#)
    }
}

@Suite struct AuthorizeAnswerTests {
    /// The hand-written body must be byte for byte what the generic writer makes: stored
    /// idempotent answers are compared and replayed as text.
    @Test(arguments: DecisionReason.allCases)
    func theBodyIsTheGenericSerialization(reason: DecisionReason) {
        for transactionId in [nil, "txn_0000abcdEFGH1234567890ij"] as [String?] {
            let answer = AuthorizeAnswer(
                outcome: PricingOutcome(reason: reason, actionsCharged: Amount(micros: 1_500_000), fromAllowance: Amount(micros: 500_000), creditsDebited: Amount(micros: 1_000_001)),
                remainingBalance: Amount(micros: 42), remainingAllowance: .zero, decisionId: "dec_\"quoted\"\\", costVersion: 3, transactionId: transactionId)
            #expect(answer.json == answer.jsonValue.serialized)
            #expect((try? JSON.parse(Array(answer.json.utf8))) == answer.jsonValue)
            // With a hold's fields merged in, before, between and after the answer's own.
            let extra: [(key: String, value: String)] = [("a", "1"), ("expiresAt", "\"2026\""), ("holdId", "\"h\""), ("remainingHeld", "2"), ("zz", "null")]
            guard var object = answer.jsonValue.objectValue else { Issue.record("not an object"); return }
            for (key, value) in extra { object[key] = try? JSON.parse(Array(value.utf8)) }
            #expect(answer.json(adding: extra) == JSON.object(object).serialized)
        }
    }
}

struct CreditPackageTests {
    @Test func theDefaultsAreTheSpecs() {
        let packages = DefaultCatalog.creditPackages.map { ($0.id, $0.credits, $0.priceCents) }
        #expect(packages.map(\.0) == ["starter", "professional", "business", "enterprise"])
        #expect(packages.map(\.1) == [Amount(units: 100), Amount(units: 1_000), Amount(units: 10_000), Amount(units: 100_000)])
        #expect(packages.map(\.2) == [1_000, 8_000, 70_000, 600_000])
    }

    @Test(arguments: [
        (0, Amount.zero), (1_000, Amount(units: 100)), (500, Amount(units: 50)),
        (1, Amount(micros: 100_000)), (333, Amount(micros: 33_300_000)),
    ] as [(Int64, Amount)])
    func aRefundTakesBackItsShareOfTheCredits(refundedCents: Int64, credits: Amount) {
        #expect(DefaultCatalog.creditPackages[0].creditsFor(refundedCents: refundedCents) == credits)
    }

    @Test func sharesRoundUpLikeEveryProduct() {
        // 100 credits × 1/3 = 33.3333333… → 33.333334; × 2/3 = 66.6666666… → 66.666667.
        let package = CreditPackage(id: "p", name: "P", credits: Amount(units: 100), priceCents: 300)
        #expect(package.creditsFor(refundedCents: 100) == Amount(micros: 33_333_334))
        #expect(package.creditsFor(refundedCents: 200) == Amount(micros: 66_666_667))
        #expect(package.creditsFor(refundedCents: 301) == nil)
        #expect(package.creditsFor(refundedCents: -1) == nil)
        #expect(Amount.max.scaled(numerator: Int64.max, denominator: 1) == nil)
    }
}
