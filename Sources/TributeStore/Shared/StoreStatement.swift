/// One SQL statement that SQLite and PostgreSQL both read as written, with `?` for each
/// value: the single home of a query the two stores run alike. Each backend only runs it
/// (`Database.run`, `PostgresConnection.run`); PostgreSQL's `$1…$n` are numbered on the way.
struct StoreStatement: Sendable, Equatable {
    /// Standard SQL with a `?` for each of `values`, in order; no `?` inside a literal.
    var sql: String
    var values: [StoreValue]

    init(_ sql: String, _ values: [StoreValue] = []) {
        self.sql = sql
        self.values = values
    }

    /// The statement with `clause` after it: a backend's own ending, such as PostgreSQL's
    /// `FOR UPDATE`, on a statement both share.
    func appending(_ clause: String) -> StoreStatement {
        StoreStatement(sql + " " + clause, values)
    }
}

/// A value bound to a `StoreStatement`: the column types Tribute stores.
enum StoreValue: Sendable, Equatable {
    case int(Int64?)
    case text(String?)
    case bool(Bool)
}
