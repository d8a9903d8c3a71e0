/// Keeps the system accounts within the bound every balance keeps.
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
///
/// It runs in two places: inside any write whose postings would take a system account past
/// the bound (`SystemBalances.settling`, appended in the same database transaction), and
/// once a minute from housekeeping for accounts past half of it, so that the first rarely
/// has to.
public enum SystemNetting {
    /// Housekeeping nets a system account whose magnitude passes this.
    public static let thresholdMicros = Amount.max.micros / 2
    /// Housekeeping writes a netting only when it moves at least this much, so that a
    /// service whose workspaces really hold more than the threshold is not netted every
    /// minute for small change.
    public static let minimumMoveMicros = Amount.max.micros / 100

    /// The netting transaction for `balances`, or `nil` when no account's magnitude passes
    /// `threshold` or nothing in its unit can be netted against it. Each posting moves at
    /// most `Amount.max`; an account is never moved past zero.
    public static func transaction(_ balances: SystemBalances, threshold: Int64 = thresholdMicros, minimumMove: Int64 = 0) -> LedgerTransaction? {
        var postings: [Posting] = []
        var moved: UInt64 = 0
        for unit in LedgerUnit.allCases {
            let kinds = AccountKind.allCases.filter { !$0.isWorkspaceAccount && $0.unit == unit }
            guard kinds.contains(where: { balances[$0].magnitude > UInt64(threshold) }) else { continue }
            var above = kinds.filter { balances[$0] > 0 }.map { (kind: $0, left: balances[$0].magnitude) }
            var below = kinds.filter { balances[$0] < 0 }.map { (kind: $0, left: balances[$0].magnitude) }
            var i = 0, j = 0
            while i < above.count && j < below.count {
                // At most `Amount.max` a posting, so every posting is an amount.
                let step = min(above[i].left, below[j].left, Amount.max.micros.magnitude)
                postings.append(Posting(account: .system(above[i].kind), amount: Amount(micros: -Int64(step))))
                postings.append(Posting(account: .system(below[j].kind), amount: Amount(micros: Int64(step))))
                let (total, overflow) = moved.addingReportingOverflow(step)
                moved = overflow ? .max : total
                above[i].left -= step
                below[j].left -= step
                if above[i].left == 0 { i += 1 }
                if below[j].left == 0 { j += 1 }
            }
        }
        guard moved >= UInt64(max(0, minimumMove)) else { return nil }
        return try? LedgerTransaction(kind: .systemNetting, postings: postings)
    }
}
