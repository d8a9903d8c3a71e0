import TributeCore

/// What both stores do around a statement's build (SPEC §3.9): which periods are due, the
/// opening each starts from, and the check of a statement that reaches the present.
enum StatementCuts {
    /// The numbers to cut after the `stored` ones (1…n, in order): the periods closed by
    /// `nowMillis`, up to `number` when one is asked for.
    static func due(stored: [StoredStatement], createdAtMillis: Int64, anchor: CivilDate, nowMillis: Int64, upTo number: Int?) -> ClosedRange<Int>? {
        let closed = min(number ?? .max, StatementRows.closedCount(createdAtMillis: createdAtMillis, anchor: anchor, nowMillis: nowMillis))
        guard closed > stored.count else { return nil }
        return (stored.count + 1)...closed
    }

    /// A statement's `[from, to)` in Unix milliseconds.
    static func range(number: Int, createdAtMillis: Int64, anchor: CivilDate) -> (fromMillis: Int64, toMillis: Int64) {
        let period = StatementRows.period(number: number, createdAtMillis: createdAtMillis, anchor: anchor)
        return (period.start * 1000, period.end * 1000)
    }

    /// Where a range built on demand starts: the closing of the last stored statement that
    /// ends at or before `fromMillis` (zero before the first), and from when the rows
    /// between must be read.
    static func base(for fromMillis: Int64, stored: [StoredStatement]) throws -> (opening: CreditStatement.CategoryBalances, rowsFromMillis: Int64) {
        guard let last = stored.last(where: { $0.toMillis <= fromMillis }) else { return (CreditStatement.CategoryBalances(), Int64.min) }
        return (try StatementRows.closing(of: last), last.toMillis)
    }

    /// How far past now a range must reach for `checkLive`: no row is dated after it
    /// (a batch's clock read, another instance's clock) by the time it is read.
    static let liveMarginMillis: Int64 = 60_000

    /// A statement that reaches the present must close on the credits the workspace owns
    /// now (its wallet and what its holds hold): rows the statement missed or an edited
    /// balance show here.
    static func checkLive(_ statement: CreditStatement, owned: Amount) throws {
        guard statement.closing.credits == owned else {
            throw StatementBuilder.Unbalanced(description: "statement of \(statement.workspaceId) closes at \(statement.closing.credits) credits; the workspace owns \(owned)")
        }
    }

    /// Validates a range asked for. - Throws: `invalidValue`.
    static func checkRange(fromMillis: Int64, toMillis: Int64) throws {
        guard fromMillis < toMillis else { throw TributeError.invalidValue("from must be before to") }
    }

    /// The rule of `ledger verify` for statements (`LedgerRule.statementMismatch`): a stored
    /// statement, rebuilt from its period's rows on the opening it was cut on, has the
    /// digest it was written with.
    static func violation(_ stored: StoredStatement, rebuilt: CreditStatement, workspaceId: String) -> LedgerViolation? {
        guard rebuilt.digest != stored.digest || rebuilt.canonicalBody != stored.body else { return nil }
        return LedgerViolation(.statementMismatch, """
            statement \(stored.number) of workspace \(workspaceId) is not what its period's rows build now: a row of \(ISOTime.format(millis: stored.fromMillis)) \
            to \(ISOTime.format(millis: stored.toMillis)) was edited, removed or written after the statement was cut
            """)
    }
}
