import TributeCore

/// The outcome of one authorize-and-debit or hold (SPEC §2): approved or denied, with what
/// it cost and what is left. Amounts are exact `Amount`s (micro-units), never `Double`.
public struct Decision: Sendable, Equatable {
    /// Why the call was approved or denied; `unknown` keeps a reason this client does not
    /// know yet, so that a newer server never breaks a caller.
    public enum Reason: Sendable, Hashable, CustomStringConvertible {
        case approved
        case insufficientBalance
        case planLimitReached
        case budgetExceeded
        case workspaceSuspended
        /// A decision log entry of a reversal (only in `decisions(...)`).
        case reversed
        case unknown(String)

        /// The server's words are TributeCore's `DecisionReason`; this enumeration adds only
        /// `unknown`.
        public init(rawValue: String) {
            self = switch DecisionReason(rawValue: rawValue) {
            case .approved: .approved
            case .insufficientBalance: .insufficientBalance
            case .planLimitReached: .planLimitReached
            case .budgetExceeded: .budgetExceeded
            case .workspaceSuspended: .workspaceSuspended
            case .reversed: .reversed
            case nil: .unknown(rawValue)
            }
        }

        /// The reason as the server sends it, such as `BUDGET_EXCEEDED`.
        public var rawValue: String {
            switch self {
            case .approved: DecisionReason.approved.rawValue
            case .insufficientBalance: DecisionReason.insufficientBalance.rawValue
            case .planLimitReached: DecisionReason.planLimitReached.rawValue
            case .budgetExceeded: DecisionReason.budgetExceeded.rawValue
            case .workspaceSuspended: DecisionReason.workspaceSuspended.rawValue
            case .reversed: DecisionReason.reversed.rawValue
            case .unknown(let text): text
            }
        }

        public var description: String { rawValue }
    }

    /// Approved?
    public let success: Bool
    public let reason: Reason
    /// For people: "Debit successful", "Insufficient balance", ...
    public let message: String
    /// Credits debited (or held, for a hold); 0 when only allowance was used, or denied.
    public let debitAmount: Amount
    /// The action's cost in actions (for a hold: the estimate held).
    public let actionsCharged: Amount
    /// Actions taken (or held) from the period's allowance.
    public let fromAllowance: Amount
    /// Credits left in the wallet, net of open holds.
    public let remainingBalance: Amount
    /// Actions left in the period, net of open holds.
    public let remainingAllowance: Amount
    /// The ledger transaction; `nil` when denied or allowed locally.
    public let transactionId: String?
    /// The recorded decision; `nil` only when allowed locally (`recorded == false`).
    public let decisionId: String?
    /// The cost registry version used; `nil` when allowed locally.
    public let costVersion: Int64?
    /// For `.budgetExceeded`: the budget that refused (`user:…`, `agent:…`, `run:…`,
    /// `key:…` or `workspace`).
    public var budgetScope: String?
    /// For `.insufficientBalance` while the workspace's auto top-up is buying credits
    /// (`.pending`: wait and retry) or cannot (`.suspended`, `.limited`, `.noPaymentMethod`:
    /// stop, a person must act); `nil` otherwise (SPEC §3.8).
    public var autoTopup: AutoTopupNotice?
    /// The server replayed the first answer to this idempotency key (`Idempotent-Replayed: true`):
    /// an earlier attempt of the same call had already been applied.
    public let replayed: Bool
    /// `false` for a call allowed locally under `.failOpen` while Tribute could not be
    /// reached: nothing was priced or recorded, every amount is 0, and the call is in the
    /// client's unrecorded actions.
    public let recorded: Bool

    public init(success: Bool, reason: Reason, message: String, debitAmount: Amount, actionsCharged: Amount, fromAllowance: Amount,
                remainingBalance: Amount, remainingAllowance: Amount, transactionId: String?, decisionId: String?, costVersion: Int64?,
                replayed: Bool, recorded: Bool) {
        self.success = success
        self.reason = reason
        self.message = message
        self.debitAmount = debitAmount
        self.actionsCharged = actionsCharged
        self.fromAllowance = fromAllowance
        self.remainingBalance = remainingBalance
        self.remainingAllowance = remainingAllowance
        self.transactionId = transactionId
        self.decisionId = decisionId
        self.costVersion = costVersion
        self.replayed = replayed
        self.recorded = recorded
    }
}

extension Decision {
    /// The decision fields of an answer (authorize, hold, commit).
    init(_ fields: AnswerFields, replayed: Bool) throws {
        self.init(
            success: try fields.bool("success"), reason: Reason(rawValue: try fields.string("reason")), message: try fields.string("message"),
            debitAmount: try fields.amount("debitAmount"), actionsCharged: try fields.amount("actionsCharged"),
            fromAllowance: try fields.amount("fromAllowance"), remainingBalance: try fields.amount("remainingBalance"),
            remainingAllowance: try fields.amount("remainingAllowance"), transactionId: try fields.optionalString("transactionId"),
            decisionId: try fields.string("decisionId"), costVersion: try fields.optionalInt("costVersion"), replayed: replayed, recorded: true)
        budgetScope = try fields.optionalString("budgetScope")
        if let notice = try fields.optionalObject("autoTopup"), let state = notice["state"]?.stringValue {
            autoTopup = AutoTopupNotice(state: AutoTopupNotice.State(rawValue: state), reason: notice["reason"]?.stringValue)
        }
    }

    /// An approval made by the client alone while Tribute could not be reached (`.failOpen`).
    static let local = Decision(
        success: true, reason: .approved, message: "Allowed locally: Tribute could not be reached (fail-open); not recorded",
        debitAmount: .zero, actionsCharged: .zero, fromAllowance: .zero, remainingBalance: .zero, remainingAllowance: .zero,
        transactionId: nil, decisionId: nil, costVersion: nil, replayed: false, recorded: false)
}

/// What a denial for want of credits says about the workspace's auto top-up.
public struct AutoTopupNotice: Sendable, Equatable {
    public enum State: Sendable, Hashable {
        /// Credits are being bought: waiting and retrying is worth it.
        case pending
        /// A card failed; a person must save another card or buy credits.
        case suspended
        /// The owner's day or month limit is reached.
        case limited
        /// No card is saved.
        case noPaymentMethod
        /// A state this client does not know yet.
        case unknown(String)

        public init(rawValue: String) {
            self = switch AutoTopup.State(rawValue: rawValue) {
            case .pending: .pending
            case .suspended: .suspended
            case .limited: .limited
            case .noPaymentMethod: .noPaymentMethod
            case .active, nil: .unknown(rawValue)
            }
        }
    }

    public let state: State
    /// `card_declined`, `action_required`, `day_limit`, `month_limit`, …
    public let reason: String?

    /// Whether credits are on their way, so that the call is worth retrying soon.
    public var isWorthWaiting: Bool { state == .pending }
}
