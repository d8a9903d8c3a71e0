import PropertyBased
import Testing
@testable import TributeCore

/// Auto top-up's pure rules (SPEC §3.8): when an attempt starts, and the one charge it makes —
/// the least number of packages that closes the gap, cut by the day's and the month's limits,
/// never silently.
@Suite struct AutoTopupTests {
    /// 100 credits for $10.
    static let package = CreditPackage(id: "starter", name: "Starter", credits: Amount(units: 100), priceCents: 1_000)
    static let roomy = AutoTopup.Limits(maxChargesPerDay: 5, maxCentsPerMonth: 1_000_000)
    static let none = AutoTopup.Spent(chargesToday: 0, centsThisMonth: 0)

    static func size(available: Amount, threshold: Amount = Amount(units: 500), mode: AutoTopup.Mode = .threshold,
                     limits: AutoTopup.Limits = roomy, spent: AutoTopup.Spent = none) -> Result<AutoTopup.Sizing?, AutoTopup.LimitReached> {
        AutoTopup.size(available: available, threshold: threshold, mode: mode, package: package, limits: limits, spent: spent)
    }

    @Test func aGapOfThreePointFourPackagesIsOneChargeOfFour() throws {
        // 500 − 160 = 340 credits short: 3.4 packages; 4 lift it to 560, strictly above.
        let sizing = try #require(try Self.size(available: Amount(units: 160)).get())
        #expect(sizing.packages == 4 && sizing.cents == 4_000 && sizing.credits == Amount(units: 400) && sizing.cappedBy == nil)
    }

    @Test func strictlyAboveTheThresholdOrToTheTarget() throws {
        // At the threshold exactly: one package lifts it strictly above.
        #expect(try Self.size(available: Amount(units: 500)).get()?.packages == 1)
        #expect(try Self.size(available: Amount(units: 500) + Amount(micros: 1)).get() == nil)
        // To a target of 800 from 600: exactly 2 packages reach it.
        #expect(try Self.size(available: Amount(units: 600), mode: .target(Amount(units: 800))).get()?.packages == 2)
        #expect(try Self.size(available: Amount(units: 600) + Amount(micros: 1), mode: .target(Amount(units: 800))).get()?.packages == 2)
        #expect(try Self.size(available: Amount(units: 800), mode: .target(Amount(units: 800))).get() == nil)
    }

    @Test func theLimitsCutTheChargeAndSaySo() throws {
        // $25 left this month: 2 packages of the 4 wanted.
        let capped = try #require(try Self.size(available: Amount(units: 160), limits: .init(maxChargesPerDay: 5, maxCentsPerMonth: 5_000),
                                                spent: .init(chargesToday: 1, centsThisMonth: 2_500)).get())
        #expect(capped.packages == 2 && capped.cents == 2_000 && capped.cappedBy == .month)
        #expect(Self.size(available: Amount(units: 160), limits: .init(maxChargesPerDay: 5, maxCentsPerMonth: 5_000),
                          spent: .init(chargesToday: 0, centsThisMonth: 4_500)) == .failure(AutoTopup.LimitReached(limit: .month)))
        #expect(Self.size(available: .zero, spent: .init(chargesToday: 5, centsThisMonth: 0)) == .failure(AutoTopup.LimitReached(limit: .day)))
    }

    @Test func anAttemptStartsAtOrBelowTheThresholdOnceAtATime() {
        #expect(AutoTopup.starts(available: Amount(units: 500), threshold: Amount(units: 500), active: true, attemptOpen: false))
        #expect(!AutoTopup.starts(available: Amount(units: 501), threshold: Amount(units: 500), active: true, attemptOpen: false))
        #expect(!AutoTopup.starts(available: .zero, threshold: Amount(units: 500), active: false, attemptOpen: false))
        #expect(!AutoTopup.starts(available: .zero, threshold: Amount(units: 500), active: true, attemptOpen: true))
    }

    /// Over any amounts and limits, however extreme: no trap; the charge is the least that
    /// closes the gap, or as much as the limits allow and says which cut it.
    @Test func theChargeIsTheLeastThatClosesTheGapWithinTheLimits() async {
        let micros = Gen.int64(in: -Amount.max.micros...Amount.max.micros)
        let packageMicros = Gen.int64(in: 1...Amount.max.micros).map { $0 % 3 == 0 ? $0 % 1_000_000_000 + 1 : $0 }
        let cents = Gen.int64(in: Int64.min...Int64.max)
        await propertyCheck(count: 2_000, input: zip(micros, Gen.int64(in: 0...Amount.max.micros), packageMicros, Gen.int64(in: 1...99_999_999), cents, cents)) {
            available, threshold, credits, price, maxCents, spentCents in
            let package = CreditPackage(id: "p", name: "P", credits: Amount(micros: credits), priceCents: price)
            let limits = AutoTopup.Limits(maxChargesPerDay: 5, maxCentsPerMonth: maxCents)
            let result = AutoTopup.size(available: Amount(micros: available), threshold: Amount(micros: threshold), mode: .threshold, package: package,
                                        limits: limits, spent: .init(chargesToday: 0, centsThisMonth: spentCents))
            switch result {
            case .success(nil): #expect(available > threshold)
            case .success(let sizing?):
                #expect(available <= threshold && sizing.packages >= 1)
                #expect(sizing.cents == sizing.packages * price && sizing.cents <= maxCents - max(0, spentCents))
                let reached = Int128(available) + Int128(sizing.packages) * Int128(credits)
                if sizing.cappedBy == nil {
                    #expect(reached > Int128(threshold))
                    #expect(Int128(available) + Int128(sizing.packages - 1) * Int128(credits) <= Int128(threshold))
                } else {
                    #expect(reached <= Int128(threshold) + Int128(credits))
                }
            case .failure(let reached): #expect(reached.limit == .month && available <= threshold)
            }
        }
    }
}
