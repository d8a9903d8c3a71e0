import GRDB

/// A GRDB row read column after column by the shared decoders, through GRDB's throwing
/// decode: a value of another type is an error, never a trap.
struct SQLiteColumns: ColumnReader {
    private let row: Row
    private var index: Int

    /// Reads `row` from its column `index` on.
    init(_ row: Row, from index: Int = 0) {
        self.row = row
        self.index = index
    }

    private mutating func next<Value: DatabaseValueConvertible>(_ type: Value.Type) throws -> Value {
        defer { index += 1 }
        return try row.decode(Value.self, atIndex: index)
    }

    mutating func text() throws -> String { try next(String.self) }
    mutating func optionalText() throws -> String? { try next(String?.self) }
    mutating func int() throws -> Int64 { try next(Int64.self) }
    mutating func optionalInt() throws -> Int64? { try next(Int64?.self) }
    mutating func bool() throws -> Bool { try next(Bool.self) }
}
