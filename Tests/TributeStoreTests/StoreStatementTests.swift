import Testing
@testable import TributeStore

/// The statements both stores share reach PostgreSQL with `$1…$n` in place of their `?`s.
@Suite struct StoreStatementTests {
    @Test(arguments: [
        ("SELECT 1 FROM t WHERE a = ? AND b = ?", 2, "SELECT 1 FROM t WHERE a = $1 AND b = $2"),
        ("UPDATE t SET a = 'why?' WHERE b = ?", 1, "UPDATE t SET a = 'why?' WHERE b = $1"),
        ("SELECT \"odd?name\" FROM t WHERE a IN (?, ?, ?)", 3, "SELECT \"odd?name\" FROM t WHERE a IN ($1, $2, $3)"),
        ("UPDATE t SET a = 'it''s?' WHERE b = ?", 1, "UPDATE t SET a = 'it''s?' WHERE b = $1"),
        ("SELECT 1", 0, "SELECT 1"),
    ])
    func placeholdersOutsideQuotesAreNumberedInOrder(sql: String, count: Int, numbered: String) {
        #expect(StoreStatement(sql, Array(repeating: .int(nil), count: count)).numberedSQL == numbered)
    }
}
