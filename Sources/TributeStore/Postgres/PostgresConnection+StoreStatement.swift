import Logging
import PostgresNIO

/// Runs the statements both stores share (`StoreStatement`) on a PostgreSQL connection.
extension PostgresConnection {
    /// Runs a statement that writes.
    func run(_ statement: StoreStatement) async throws {
        try await query(PostgresQuery(statement), logger: PostgresLedger.logger)
    }

    /// Runs a statement that writes and tells whether it changed any row (by its
    /// `RETURNING`, PostgreSQL's way of telling).
    func runChangingRows(_ statement: StoreStatement) async throws -> Bool {
        try await query(PostgresQuery(statement.appending("RETURNING 1")), logger: PostgresLedger.logger).firstRow() != nil
    }

    /// Every row the statement reads, decoded by `decode`.
    func all<T>(_ statement: StoreStatement, _ decode: (inout PostgresColumns) throws -> T) async throws -> [T] {
        var decoded: [T] = []
        for try await row in try await query(PostgresQuery(statement), logger: PostgresLedger.logger) {
            var columns = PostgresColumns(row)
            decoded.append(try decode(&columns))
        }
        return decoded
    }

    /// Each row the statement reads, one at a time, in flat memory.
    func each(_ statement: StoreStatement, _ body: (inout PostgresColumns) throws -> Void) async throws {
        for try await row in try await query(PostgresQuery(statement), logger: PostgresLedger.logger) {
            var columns = PostgresColumns(row)
            try body(&columns)
        }
    }

    /// The first row the statement reads, decoded by `decode`, or `nil` when it reads none.
    func one<T>(_ statement: StoreStatement, _ decode: (inout PostgresColumns) throws -> T) async throws -> T? {
        guard let row = try await query(PostgresQuery(statement), logger: PostgresLedger.logger).firstRow() else { return nil }
        var columns = PostgresColumns(row)
        return try decode(&columns)
    }

    /// Whether the statement reads any row.
    func exists(_ statement: StoreStatement) async throws -> Bool {
        try await query(PostgresQuery(statement), logger: PostgresLedger.logger).firstRow() != nil
    }
}

extension PostgresQuery {
    /// `statement` with its `?`s numbered `$1…$n` and its values bound in order.
    init(_ statement: StoreStatement) {
        var binds = PostgresBindings(capacity: statement.values.count)
        for value in statement.values {
            switch value {
            case .int(let int): binds.append(int)
            case .text(let text): binds.append(text)
            case .bool(let bool): binds.append(bool)
            }
        }
        self.init(unsafeSQL: statement.numberedSQL, binds: binds)
    }
}

extension StoreStatement {
    /// `sql` with each `?` outside a quoted literal or name replaced by `$1`, `$2`, … in
    /// order: the statement as PostgreSQL reads it.
    var numberedSQL: String {
        let count = values.count
        var numbered = ""
        numbered.reserveCapacity(sql.utf8.count + count * 2)
        var number = 0
        var quote: Character?
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
                numbered.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                numbered.append(character)
            } else if character == "?" {
                number += 1
                numbered += "$\(number)"
            } else {
                numbered.append(character)
            }
        }
        precondition(number == count, "a shared statement has \(number) placeholders for \(count) values")
        return numbered
    }
}
