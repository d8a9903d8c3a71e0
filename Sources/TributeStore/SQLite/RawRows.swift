import GRDB
import GRDBSQLite
import TributeCore

/// Steps one of GRDB's prepared statements through SQLite's C API and hands each row to
/// the shared decoders as `RawColumns`: for `ledger verify`'s walks over every decision,
/// where GRDB's generic decoding (a `DatabaseValue` and a metadata lookup per column) cost
/// more than the row itself.
struct RawRows {
    private let statement: Statement
    private let connection: SQLiteConnection?

    init(_ db: Database, sql: String) throws {
        statement = try db.makeStatement(sql: sql)
        connection = db.sqliteConnection
    }

    /// Calls `body` with each row, in the statement's order, until the rows end or `body`
    /// returns `false`.
    /// - Throws: SQLite's error for a failed step, and what `body` throws.
    func forEach(_ body: (inout RawColumns) throws -> Bool) throws {
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: connection.map { String(cString: sqlite3_errmsg($0)) })
            }
            var columns = RawColumns(handle)
            guard try body(&columns) else { return }
        }
    }
}

/// One row of `RawRows`, read column after column; a value of another storage class than
/// the one asked for throws, as GRDB's decoding does (no SQLite conversion between text
/// and numbers).
struct RawColumns: ColumnReader {
    private let handle: OpaquePointer
    private var index: CInt = 0

    init(_ handle: OpaquePointer) {
        self.handle = handle
    }

    private mutating func take(_ expected: CInt) throws -> CInt? {
        defer { index += 1 }
        let type = sqlite3_column_type(handle, index)
        if type == SQLITE_NULL { return nil }
        guard type == expected else { throw StoreFault.unknownValue("column \(index)", "a value of SQLite type \(type)") }
        return index
    }

    mutating func optionalText() throws -> String? {
        guard let column = try take(SQLITE_TEXT), let text = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    mutating func text() throws -> String {
        guard let text = try optionalText() else { throw StoreFault.unknownValue("column \(index - 1)", "NULL") }
        return text
    }

    mutating func optionalInt() throws -> Int64? {
        guard let column = try take(SQLITE_INTEGER) else { return nil }
        return sqlite3_column_int64(handle, column)
    }

    mutating func int() throws -> Int64 {
        guard let value = try optionalInt() else { throw StoreFault.unknownValue("column \(index - 1)", "NULL") }
        return value
    }

    mutating func bool() throws -> Bool { try int() != 0 }

    /// The next column's bytes as lower-case hex: a hash stored as 32 bytes, or as its text
    /// (decisions written before v14).
    mutating func hashText() throws -> String? {
        defer { index += 1 }
        switch sqlite3_column_type(handle, index) {
        case SQLITE_NULL:
            return nil
        case SQLITE_BLOB:
            guard let bytes = sqlite3_column_blob(handle, index) else { return "" }
            let count = Int(sqlite3_column_bytes(handle, index))
            return Hex.encode(UnsafeRawBufferPointer(start: bytes, count: count))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(handle, index) else { return "" }
            return String(decoding: UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, index))), as: UTF8.self)
        default:
            throw StoreFault.unknownValue("decisions.hash", "a value of SQLite type \(sqlite3_column_type(handle, index))")
        }
    }
}
