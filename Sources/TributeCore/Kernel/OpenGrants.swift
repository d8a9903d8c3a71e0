/// A workspace's credit grants with credits left, in creation order, and which of them a
/// call changed: the one place grants are spent, expired and given back, whichever backend
/// holds them.
public struct OpenGrants: Sendable, Equatable {
    /// The grants loaded, in creation order; one used up stays (at zero), so that credits
    /// can come back to it (a released hold, a reversed charge).
    public private(set) var list: [GrantBalance]
    /// The remaining credits of each grant changed since loading, by grant id: what a
    /// backend writes back.
    public private(set) var changed: [String: Amount] = [:]

    /// - Parameter list: in creation order; a reversal also passes the used-up grants it
    ///   gives credits back to.
    public init(_ list: [GrantBalance]) {
        self.list = list
    }

    /// The soonest expiry among grants with credits left: stored with the workspace so
    /// that a call knows without loading its grants whether any has expired.
    public var nextExpiryAtMillis: Int64? {
        list.lazy.filter { !$0.remaining.isZero }.compactMap(\.expiresAt).min()
    }

    /// Empties every grant whose expiry is at or before `nowMillis`.
    /// - Returns: what each grant that expired held.
    public mutating func expire(nowMillis: Int64) -> [GrantDraw] {
        var expired: [GrantDraw] = []
        for index in list.indices where !list[index].remaining.isZero && (list[index].expiresAt ?? .max) <= nowMillis {
            expired.append(GrantDraw(grantId: list[index].id, amount: list[index].remaining))
            set(index, to: .zero)
        }
        return expired
    }

    /// Takes `amount` from the grants, soonest expiry first (`Wallet.allocate`).
    /// - Returns: how much each grant gave, in the order taken.
    /// - Precondition: the grants hold at least `amount`.
    public mutating func spend(_ amount: Amount) -> [GrantDraw] {
        let takes = Wallet.allocate(amount, from: list)
        for take in takes {
            guard let index = list.firstIndex(where: { $0.id == take.id }) else { preconditionFailure("allocate named a grant not in the list") }
            set(index, to: list[index].remaining - take.amount)
        }
        return takes.map { GrantDraw(grantId: $0.id, amount: $0.amount) }
    }

    /// Gives `draw.amount` back to the grant it came from.
    /// - Returns: `false` when the grant is not in the list (the backend did not load it).
    public mutating func restore(_ draw: GrantDraw) -> Bool {
        guard let index = list.firstIndex(where: { $0.id == draw.grantId }) else { return false }
        set(index, to: list[index].remaining + draw.amount)
        return true
    }

    private mutating func set(_ index: Int, to remaining: Amount) {
        list[index].remaining = remaining
        changed[list[index].id] = remaining
    }
}

/// Credits one decision took from one grant: recorded in the decision's explanation so that
/// a reversal gives them back to the same grant.
public struct GrantDraw: Sendable, Equatable {
    public var grantId: String
    public var amount: Amount

    public init(grantId: String, amount: Amount) {
        self.grantId = grantId
        self.amount = amount
    }
}

extension GrantDraw {
    /// Writes `[[grant id, micros], …]`: how an explanation and a hold row both keep the
    /// credits drawn from each grant, without building a dictionary on the writer's thread.
    public static func write(_ draws: [GrantDraw], to output: inout String) {
        output += "["
        for (index, draw) in draws.enumerated() {
            output += index == 0 ? "[" : ",["
            JSON.writeString(draw.grantId, to: &output)
            output += ","
            output += String(draw.amount.micros)
            output += "]"
        }
        output += "]"
    }
}
