import GRDB

/// Runs the statements both stores share (`StoreStatement`) on a GRDB connection, each
/// prepared once per connection.
extension Database {
    /// Runs a statement that writes.
    func run(_ statement: StoreStatement) throws {
        try cachedStatement(sql: statement.sql).execute(arguments: statement.arguments)
    }

    /// Runs a statement that writes and tells whether it changed any row.
    func runChangingRows(_ statement: StoreStatement) throws -> Bool {
        try run(statement)
        return changesCount > 0
    }

    /// Every row the statement reads, decoded by `decode`.
    func all<T>(_ statement: StoreStatement, _ decode: (inout SQLiteColumns) throws -> T) throws -> [T] {
        let rows = try Row.fetchCursor(cachedStatement(sql: statement.sql), arguments: statement.arguments)
        var decoded: [T] = []
        while let row = try rows.next() {
            var columns = SQLiteColumns(row)
            decoded.append(try decode(&columns))
        }
        return decoded
    }

    /// Each row the statement reads, one at a time, in flat memory.
    func each(_ statement: StoreStatement, _ body: (inout SQLiteColumns) throws -> Void) throws {
        let rows = try Row.fetchCursor(cachedStatement(sql: statement.sql), arguments: statement.arguments)
        while let row = try rows.next() {
            var columns = SQLiteColumns(row)
            try body(&columns)
        }
    }

    /// The first row the statement reads, decoded by `decode`, or `nil` when it reads none.
    func one<T>(_ statement: StoreStatement, _ decode: (inout SQLiteColumns) throws -> T) throws -> T? {
        guard let row = try Row.fetchOne(cachedStatement(sql: statement.sql), arguments: statement.arguments) else { return nil }
        var columns = SQLiteColumns(row)
        return try decode(&columns)
    }

    /// Whether the statement reads any row.
    func exists(_ statement: StoreStatement) throws -> Bool {
        try Row.fetchOne(cachedStatement(sql: statement.sql), arguments: statement.arguments) != nil
    }
}

extension StoreStatement {
    /// The values as GRDB binds them: a Bool as the integer 0 or 1.
    var arguments: StatementArguments {
        StatementArguments(values.map { value -> DatabaseValue in
            switch value {
            case .int(let int): int?.databaseValue ?? .null
            case .text(let text): text?.databaseValue ?? .null
            case .bool(let bool): bool.databaseValue
            }
        })
    }
}
