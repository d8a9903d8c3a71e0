import TributeCore

/// Reads a stored row's columns one after another, in the order its query names them.
///
/// Both backends hand their rows to the shared decoders (`APIKeyRows`, `PlanRows`, …) in
/// this form, so that each row shape is decoded in one place. Reading past the last column
/// is a bug of the decoder and stops the process; a value of the wrong type throws the
/// backend's decoding error.
protocol ColumnReader {
    mutating func text() throws -> String
    mutating func optionalText() throws -> String?
    mutating func int() throws -> Int64
    mutating func optionalInt() throws -> Int64?
    mutating func bool() throws -> Bool
}

extension ColumnReader {
    /// The next column as an exact amount in millionths.
    mutating func amount() throws -> Amount { Amount(micros: try int()) }

    /// The next column as one of the values of `Value`.
    /// - Parameter column: `table.column`, named in the fault.
    /// - Throws: `StoreFault.unknownValue` for text none of its values has (a hand edit or
    ///   a bug): never a default that would hide it.
    mutating func value<Value: RawRepresentable>(_ type: Value.Type, column: String) throws -> Value where Value.RawValue == String {
        try storedValue(Value.self, try text(), column: column)
    }
}

/// `text` as one of the values of `Value`.
/// - Parameter column: `table.column`, named in the fault.
/// - Throws: `StoreFault.unknownValue` for text none of its values has.
func storedValue<Value: RawRepresentable>(_ type: Value.Type, _ text: String, column: String) throws -> Value where Value.RawValue == String {
    guard let value = Value(rawValue: text) else { throw StoreFault.unknownValue(column, text) }
    return value
}
