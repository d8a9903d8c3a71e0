import GRDB
import GRDBSQLite

/// Binds and steps one of GRDB's prepared statements through SQLite's C API.
///
/// Only the writer's per-batch appends use it: GRDB's argument arrays, authorizer and
/// bookkeeping cost more than the row itself there, and those rows are written thousands
/// of times a second. Everything else goes through GRDB.
struct RawStatement {
    private let statement: Statement
    private let connection: SQLiteConnection?
    private var index: CInt = 1
    /// The first bind since the last run that SQLite refused (a value too big, a position
    /// past the statement's last): `step` throws it instead of running without the value.
    private var bindFailure: (code: CInt, position: CInt)?

    init(_ db: Database, sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
        connection = db.sqliteConnection
        // GRDB leaves a statement it ran unreset, and SQLite refuses bindings until it is.
        sqlite3_reset(statement.sqliteStatement)
    }

    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    mutating func bind(_ value: Int64) {
        record(sqlite3_bind_int64(statement.sqliteStatement, index, value))
    }

    mutating func bind(_ value: Int64?) {
        if let value { bind(value) } else { bindNull() }
    }

    mutating func bind(_ value: Bool) { bind(Int64(value ? 1 : 0)) }

    mutating func bind(_ value: String?) {
        guard var value else { return bindNull() }
        let handle = statement.sqliteStatement
        let position = index
        let code = value.withUTF8 { bytes in
            if let base = bytes.baseAddress {
                UnsafeRawPointer(base).withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    sqlite3_bind_text(handle, position, $0, CInt(bytes.count), RawStatement.transient)
                }
            } else {
                // An empty string is text, not NULL.
                sqlite3_bind_text(handle, position, "", 0, RawStatement.transient)
            }
        }
        record(code)
    }

    mutating func bind(blob bytes: [UInt8]) {
        let handle = statement.sqliteStatement
        let position = index
        let code = bytes.withUnsafeBytes { raw in
            sqlite3_bind_blob(handle, position, raw.baseAddress, CInt(raw.count), RawStatement.transient)
        }
        record(code)
    }

    private mutating func bindNull() {
        record(sqlite3_bind_null(statement.sqliteStatement, index))
    }

    /// Keeps the first failed bind's code for `step`, and moves to the next position.
    private mutating func record(_ code: CInt) {
        if code != SQLITE_OK && bindFailure == nil { bindFailure = (code, index) }
        index += 1
    }

    /// Runs the statement with the values bound since the last run, then makes it ready
    /// for the next row.
    /// - Throws: `DatabaseError` with SQLite's code and message: a bind SQLite refused
    ///   (nothing is run then), or a failed run (a CHECK failure, say).
    mutating func step() throws {
        let handle = statement.sqliteStatement
        if let failure = bindFailure {
            bindFailure = nil
            index = 1
            let message = connection.map { String(cString: sqlite3_errmsg($0)) } ?? "unknown"
            sqlite3_clear_bindings(handle)
            throw DatabaseError(
                resultCode: ResultCode(rawValue: failure.code), message: "binding parameter \(failure.position): \(message)", sql: statement.sql)
        }
        // A value not bound would run as NULL: a bug of the caller, never a row to write.
        precondition(index - 1 == sqlite3_bind_parameter_count(handle), "bound \(index - 1) values to \(sqlite3_bind_parameter_count(handle)) parameters")
        let code = sqlite3_step(handle)
        index = 1
        guard code == SQLITE_DONE else {
            let message = connection.map { String(cString: sqlite3_errmsg($0)) }
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
        sqlite3_reset(handle)
    }
}

extension RawStatement {
    /// Rows per multi-row INSERT: one statement run writes this many rows, which costs
    /// far less than as many runs of a one-row statement.
    static let rowsPerInsert = 32

    /// Inserts `rows` into `table`, `rowsPerInsert` rows per statement and the remainder
    /// one by one; `bind` binds one row's values in the order of `columns`.
    /// - Parameter values: each column's value as SQL with its own `?` (`"?"` for all by default).
    static func insert<Element>(_ db: Database, into table: String, columns: [String], values: [String]? = nil, rows: some Collection<Element>,
                                bind: (inout RawStatement, Element) -> Void) throws {
        func sql(rowCount: Int) -> String {
            let row = "(" + (values ?? Array(repeating: "?", count: columns.count)).joined(separator: ", ") + ")"
            return "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES " + Array(repeating: row, count: rowCount).joined(separator: ", ")
        }
        var rest = rows[...]
        if rest.count >= rowsPerInsert {
            var many = try RawStatement(db, sql: sql(rowCount: rowsPerInsert))
            while rest.count >= rowsPerInsert {
                for row in rest.prefix(rowsPerInsert) { bind(&many, row) }
                try many.step()
                rest = rest.dropFirst(rowsPerInsert)
            }
        }
        guard !rest.isEmpty else { return }
        var one = try RawStatement(db, sql: sql(rowCount: 1))
        for row in rest {
            bind(&one, row)
            try one.step()
        }
    }
}
