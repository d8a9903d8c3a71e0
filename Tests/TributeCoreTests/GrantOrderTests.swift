import Testing
@testable import TributeCore

/// The one draw order of grants (SPEC §3.9): priority, soonest expiry (never last), lower
/// cost per credit, effective time, creation, id — a total order, and the one a wallet
/// spends in.
@Suite struct GrantOrderTests {
    /// A deterministic generator, so that a failure names its seed.
    struct Generator {
        var state: UInt64
        mutating func next(below bound: UInt64) -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (state >> 33) % bound
        }
    }

    /// The documented order spelled out as a key, with costs compared by cross-multiplying
    /// numbers small enough for 64 bits.
    static func reference(_ lhs: (GrantBalance, Int), _ rhs: (GrantBalance, Int)) -> Bool {
        let (l, lp) = lhs, (r, rp) = rhs
        if l.priority != r.priority { return l.priority < r.priority }
        let le = l.expiresAt ?? .max, re = r.expiresAt ?? .max
        if le != re { return le < re }
        let lc = l.costBasisCents * r.amount.micros, rc = r.costBasisCents * l.amount.micros
        if lc != rc { return lc < rc }
        if l.effectiveAtMillis != r.effectiveAtMillis { return l.effectiveAtMillis < r.effectiveAtMillis }
        return lp < rp
    }

    static func grants(_ random: inout Generator) -> [GrantBalance] {
        (0..<Int(random.next(below: 8) + 1)).map { index in
            let amount = Amount(micros: Int64(random.next(below: 5) + 1) * 1_000_000)
            return GrantBalance(
                id: "g\(index)", remaining: Amount(micros: Int64(random.next(below: UInt64(amount.micros)) + 1)),
                expiresAt: random.next(below: 3) == 0 ? nil : Int64(random.next(below: 3)) * 1_000, priority: Int(random.next(below: 3)) * 25,
                costBasisCents: Int64(random.next(below: 4)) * 500, amount: amount, effectiveAtMillis: Int64(random.next(below: 2)))
        }
    }

    @Test func theOrderIsTheDocumentedOneAndTotal() {
        for seed in UInt64(1)...2_000 {
            var random = Generator(state: seed)
            let list = Self.grants(&random)
            let placed = Array(zip(list, list.indices))
            for a in placed {
                #expect(!GrantOrder.precedes(a.0, a.1, a.0, a.1), "irreflexive, seed \(seed)")
                for b in placed where a.1 != b.1 {
                    let ours = GrantOrder.precedes(a.0, a.1, b.0, b.1)
                    #expect(ours == Self.reference(a, b), "seed \(seed)")
                    #expect(ours != GrantOrder.precedes(b.0, b.1, a.0, a.1), "antisymmetric and total, seed \(seed)")
                }
            }
        }
    }

    /// Spending takes whole grants in the order, the last one in part: each draw's grant
    /// comes after the one before, and every grant before the last drawn is emptied.
    @Test func spendingFollowsTheOrder() {
        for seed in UInt64(1)...2_000 {
            var random = Generator(state: seed)
            let list = Self.grants(&random)
            let total = list.reduce(Amount.zero) { $0 + $1.remaining }
            let amount = Amount(micros: Int64(random.next(below: UInt64(total.micros))) + 1)
            var grants = OpenGrants(list)
            let draws = grants.spend(amount)
            let order = list.indices.sorted { Self.reference((list[$0], $0), (list[$1], $1)) }.map { list[$0].id }
            let drawn = draws.map(\.grantId)
            #expect(drawn == Array(order.prefix(drawn.count)), "seed \(seed)")
            #expect(draws.reduce(Amount.zero) { $0 + $1.amount } == amount)
            for draw in draws.dropLast() {
                #expect(grants.list.first { $0.id == draw.grantId }?.remaining == .zero, "seed \(seed)")
            }
        }
    }

    @Test func costPerCreditComparesExactlyAtTheExtremes() {
        let cheap = GrantBalance(id: "a", remaining: .max, expiresAt: nil, costBasisCents: Int64.max - 1, amount: .max)
        let dear = GrantBalance(id: "b", remaining: .max, expiresAt: nil, costBasisCents: Int64.max, amount: .max)
        #expect(GrantOrder.precedes(cheap, 1, dear, 0))
        #expect(!GrantOrder.precedes(dear, 0, cheap, 1))
        // With default terms, the rule before it: soonest expiry first, then the oldest.
        let old = GrantBalance(id: "old", remaining: .one, expiresAt: nil), new = GrantBalance(id: "new", remaining: .one, expiresAt: nil)
        #expect(GrantOrder.precedes(old, 0, new, 1))
    }
}
