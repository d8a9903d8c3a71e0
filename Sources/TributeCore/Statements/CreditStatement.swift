/// A workspace's statement for a range of time (SPEC §3.9, docs/credits.md): the credits it
/// owned at the start and the end, by category, and every movement between, built from the
/// ledger's rows by `StatementBuilder`. A period's statement is numbered and written once;
/// its `digest` commits to every figure, so that a statement rebuilt from edited rows no
/// longer matches.
public struct CreditStatement: Sendable, Equatable {
    public var workspaceId: String
    /// The period's number, from 1 for the workspace's first; `nil` for a range built on demand.
    public var number: Int?
    /// Unix milliseconds, `[from, to)`.
    public var fromMillis: Int64
    public var toMillis: Int64
    /// Credits the workspace owns (its wallet and what its open holds hold), by category.
    public var opening: CategoryBalances
    public var closing: CategoryBalances
    public var allowance: AllowanceSummary
    /// Everything that moved credits, oldest first; usage as one line per category.
    public var movements: [StatementMovement]
    public var usage: UsageSummary
    /// Holds open at the close (made before it, closed after it or not yet).
    public var holdsOpen: [OpenHold]
    /// The decisions the statement covers in the workspace's hash chain; `nil` when none.
    public var chain: ChainRange?

    /// Credits by category; every category present, zero included.
    public struct CategoryBalances: Sendable, Equatable {
        public private(set) var byCategory: [GrantCategory: Amount]

        public init() { byCategory = Dictionary(uniqueKeysWithValues: GrantCategory.allCases.map { ($0, Amount.zero) }) }

        public subscript(_ category: GrantCategory) -> Amount { byCategory[category] ?? .zero }

        public var credits: Amount { byCategory.values.reduce(.zero) { $0 + $1 } }

        /// Adds `amount` (negative: takes) to `category`.
        /// - Throws: `amountTooLarge` past the bound of an amount.
        public mutating func add(_ amount: Amount, to category: GrantCategory) throws(TributeError) {
            guard let sum = self[category].adding(amount) else { throw .amountTooLarge("A statement's balance is past the largest amount") }
            byCategory[category] = sum
        }
    }

    /// The period allowance over the range, in actions.
    public struct AllowanceSummary: Sendable, Equatable {
        /// Issued by plan: each period's allowance and plan changes' differences.
        public var issued = Amount.zero
        /// Taken by calls and commits, less what reversals gave back.
        public var used = Amount.zero
        /// Left unused at a close, or given back after its period, beyond what carried.
        public var lapsed = Amount.zero
        /// Rollover in: the rollover a period of the range started with (its carries still
        /// good), by the close at its start.
        public var rolloverIn = Amount.zero
        /// Rollover out: the rollover the next period starts with, by the close at the
        /// range's end (the next statement's rollover in).
        public var rolloverOut = Amount.zero

        public init() {}
    }

    /// One movement of credits.
    public struct StatementMovement: Sendable, Equatable {
        public enum Kind: String, Sendable {
            /// A grant: bought (with `purchase`) or given.
            case grant
            /// Credits charged by calls and commits, one line per category.
            case usage
            /// A charge given back (`adjustment` when the charge is on an earlier statement).
            case reversal
            case expiry
            /// Credits taken back by a refunded payment.
            case refund
        }

        public var atMillis: Int64
        public var kind: Kind
        /// Signed: what the movement adds to the workspace's credits.
        public var credits: Amount
        public var category: GrantCategory
        /// The grant, the decision or the transaction.
        public var ref: String?
        /// A bought grant's purchase.
        public var purchase: PurchaseRef?
        /// A correction of an earlier statement's charge.
        public var adjustment = false

        public init(atMillis: Int64, kind: Kind, credits: Amount, category: GrantCategory, ref: String?, purchase: PurchaseRef? = nil) {
            self.atMillis = atMillis
            self.kind = kind
            self.credits = credits
            self.category = category
            self.ref = ref
            self.purchase = purchase
        }
    }

    /// The purchase a bought grant came from.
    public struct PurchaseRef: Sendable, Equatable {
        public var id: String
        public var packageId: String
        public var paymentIntentId: String?
        public var amountCents: Int64

        public init(id: String, packageId: String, paymentIntentId: String?, amountCents: Int64) {
            self.id = id
            self.packageId = packageId
            self.paymentIntentId = paymentIntentId
            self.amountCents = amountCents
        }
    }

    /// What calls and commits charged, gross (reversals are movements of their own).
    public struct UsageSummary: Sendable, Equatable {
        public var calls: Int64 = 0
        public var actions = Amount.zero
        public var credits = Amount.zero
        public var creditsByCategory = CategoryBalances()
        public var byActionType: [UsageLine] = []
        public var byAgent: [UsageLine] = []
        public var byUser: [UsageLine] = []
        public var byRun: [UsageLine] = []

        public init() {}
    }

    /// Usage of one action type, agent, user or run; `key` `nil` for the rest beyond the
    /// lines shown (`UsageTally.shownLines`).
    public struct UsageLine: Sendable, Equatable {
        public var key: String?
        public var calls: Int64
        public var actions: Amount
        public var credits: Amount

        public init(key: String?, calls: Int64, actions: Amount, credits: Amount) {
            self.key = key
            self.calls = calls
            self.actions = actions
            self.credits = credits
        }
    }

    /// A hold open at the close: what it holds is on the hold itself, and changes as it
    /// is committed (a statement shows only what its rows fix for good).
    public struct OpenHold: Sendable, Equatable {
        public var id: String
        public var createdAtMillis: Int64

        public init(id: String, createdAtMillis: Int64) {
            self.id = id
            self.createdAtMillis = createdAtMillis
        }
    }

    public struct ChainRange: Sendable, Equatable {
        public var fromSeq: Int64
        public var toSeq: Int64
        /// The hash of the newest decision covered.
        public var headHash: String

        public init(fromSeq: Int64, toSeq: Int64, headHash: String) {
            self.fromSeq = fromSeq
            self.toSeq = toSeq
            self.headHash = headHash
        }
    }
}
