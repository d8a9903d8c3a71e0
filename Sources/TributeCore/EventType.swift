/// The kinds of event Tribute tells the world about (SPEC §3.2).
public enum EventType: String, Sendable, CaseIterable {
    case creditsPurchased = "credits.purchased"
    case creditsRefunded = "credits.refunded"
    /// The period's allowance reached 80 % or 100 % used.
    case allowanceThreshold = "allowance.threshold"
    /// The wallet fell below the workspace's low-balance threshold.
    case balanceLow = "balance.low"
    /// Only on the live stream: every decision, with the balances after it.
    case decision = "decision"
    /// A ledger checkpoint recorded this workspace's chain head (see `LedgerCheckpoint`).
    case ledgerCheckpoint = "ledger.checkpoint"
    /// A hold's time ran out and what it still held was released (SPEC §3.1).
    case holdExpired = "hold.expired"
}
