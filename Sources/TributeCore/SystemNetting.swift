/// Keeps the system accounts far from the bound every balance keeps.
///
/// System accounts are the other side of every movement, and most only ever grow:
/// `allowance_issued` by every workspace's allowance each period, `usage` by every action
/// taken from one, `grants` by every grant. Left alone, a long-lived service would bring one
/// to `Amount.max` and then refuse every tenant's period roll or grant because of a shared
/// lifetime counter. Yet the system accounts of one unit sum to minus what the workspaces of
/// that unit hold, which is bounded. Netting moves amounts between system accounts of one
/// unit, from those above zero to those below, in one balanced transaction of its own: it
/// edits nothing, changes no workspace balance and no sum, and leaves each account at most
/// as large as that unit's total. Only when the workspaces themselves hold more than the
/// bound does a system account refuse (`amount_too_large`).
public enum SystemNetting {
    /// A system account whose magnitude passes this is netted.
    public static let thresholdMicros = Amount.max.micros / 2

    /// The netting transaction for `balances`, or `nil` when no account has passed the
    /// threshold or nothing in its unit can be netted against it.
    public static func transaction(_ balances: SystemBalances) -> LedgerTransaction? {
        var postings: [Posting] = []
        for unit in LedgerUnit.allCases {
            let kinds = AccountKind.allCases.filter { !$0.isWorkspaceAccount && $0.unit == unit }
            guard kinds.contains(where: { balances[$0].micros.magnitude > UInt64(thresholdMicros) }) else { continue }
            var above = kinds.filter { balances[$0].micros > 0 }.map { (kind: $0, left: balances[$0]) }
            var below = kinds.filter { balances[$0].micros < 0 }.map { (kind: $0, left: -balances[$0]) }
            var moved: [AccountKind: Amount] = [:]
            var i = 0, j = 0
            // Each step empties one side's account; amounts stay within ±Amount.max.
            while i < above.count && j < below.count {
                let amount = min(above[i].left, below[j].left)
                moved[above[i].kind, default: .zero] -= amount
                moved[below[j].kind, default: .zero] += amount
                above[i].left -= amount
                below[j].left -= amount
                if above[i].left.isZero { i += 1 }
                if below[j].left.isZero { j += 1 }
            }
            postings += kinds.compactMap { kind in moved[kind].map { Posting(account: .system(kind), amount: $0) } }
        }
        return try? LedgerTransaction(kind: .systemNetting, postings: postings)
    }
}
