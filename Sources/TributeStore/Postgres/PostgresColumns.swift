import PostgresNIO

/// A PostgreSQL row read column after column by the shared decoders; a value of another
/// type is PostgresNIO's decoding error.
struct PostgresColumns: ColumnReader {
    private var cells: PostgresRow.Iterator

    init(_ row: PostgresRow) {
        cells = row.makeIterator()
    }

    private mutating func next<Value: PostgresDecodable>(_ type: Value.Type) throws -> Value {
        guard let cell = cells.next() else { preconditionFailure("a shared decoder read more columns than its query names") }
        return try cell.decode(Value.self)
    }

    mutating func text() throws -> String { try next(String.self) }
    mutating func optionalText() throws -> String? { try next(String?.self) }
    mutating func int() throws -> Int64 { try next(Int64.self) }
    mutating func optionalInt() throws -> Int64? { try next(Int64?.self) }
    mutating func bool() throws -> Bool { try next(Bool.self) }
}
