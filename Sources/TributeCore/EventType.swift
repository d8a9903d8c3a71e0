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
    /// An auto top-up attempt was sized and is being charged (SPEC §3.8).
    case autoTopupStarted = "auto_topup.started"
    /// An auto top-up's payment succeeded and its credits are in the wallet.
    case autoTopupSucceeded = "auto_topup.succeeded"
    /// An auto top-up's charge failed; auto top-up is suspended.
    case autoTopupFailed = "auto_topup.failed"
    /// A limit left room for no package; auto top-up waits for the window to end.
    case autoTopupLimited = "auto_topup.limited"
}
