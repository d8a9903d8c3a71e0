import TributeCore

/// Named values a caller sent, whichever way they came: the API's JSON body (`Fields`) or a
/// dashboard form (`FormBody`). The validators the API and the dashboard share
/// (`PlanInput`, `ActionCostInput`) read through it, so that each rule is written once.
///
/// Absent values are `nil`; a value of the wrong kind is 400 (`malformed_request`), one out
/// of its range 422 (`invalid_value`), with messages that name the field.
protocol FieldSource {
    /// Text by `Fields.checkText`: 1 to `maxLength` UTF-8 bytes, no control characters.
    mutating func string(_ name: String, maxLength: Int) throws -> String?
    /// An exact decimal amount in `range`.
    mutating func amount(_ name: String, in range: ClosedRange<Amount>) throws -> Amount?
    /// A whole number in `range`.
    mutating func integer(_ name: String, in range: ClosedRange<Int64>) throws -> Int64?
    /// One of an enumeration's raw values.
    mutating func choice<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type) throws -> T? where T.RawValue == String
}

extension FieldSource {
    /// - Throws: 400 when absent, else as `string`.
    mutating func requiredString(_ name: String, maxLength: Int = 200) throws -> String {
        try required(string(name, maxLength: maxLength), name)
    }

    /// An identifier: 1 to 128 characters of letters, digits, `-`, `_`, `.`, `:`, other
    /// than `.` and `..` (which a path would resolve).
    mutating func identifier(_ name: String) throws -> String? {
        guard let text = try string(name, maxLength: 128) else { return nil }
        guard Fields.isIdentifier(text) else { throw APIError.invalid("\(name) may hold only letters, digits and - _ . :") }
        return text
    }

    /// - Throws: 400 when absent, else as `amount`.
    mutating func requiredAmount(_ name: String, in range: ClosedRange<Amount> = Amount.zero...Amount.max) throws -> Amount {
        try required(amount(name, in: range), name)
    }

    /// - Throws: 400 when absent, else as `integer`.
    mutating func requiredInteger(_ name: String, in range: ClosedRange<Int64>) throws -> Int64 {
        try required(integer(name, in: range), name)
    }

    /// - Throws: 400 when absent, else as `choice`.
    mutating func requiredChoice<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type) throws -> T where T.RawValue == String {
        try required(choice(name, type), name)
    }

    private func required<T>(_ value: T?, _ name: String) throws -> T {
        guard let value else { throw APIError.malformed("\(name) is required") }
        return value
    }
}

/// The rules for a value written as text, the same whether it came as a JSON number
/// literal or a form's input: one message for each way it can be wrong.
enum FieldText {
    /// An exact amount in `range`, from a decimal literal.
    /// - Throws: 422 for more than six decimals, a number out of range or no number.
    static func amount(_ literal: String, name: String, in range: ClosedRange<Amount>) throws -> Amount {
        let amount: Amount
        do {
            amount = try Amount.parse(literal)
        } catch .tooManyDecimals {
            throw APIError.invalid("\(name) has more than six decimals")
        } catch .notANumber {
            throw APIError.invalid("\(name) must be a number")
        } catch {
            throw APIError.invalid("\(name) is out of range")
        }
        return try inRange(amount, name: name, range)
    }

    /// A whole number in `range`, from a decimal literal (`100`, `1e2`, `100.0`).
    /// - Throws: 422 for a number that is not whole, out of range, or no number.
    static func wholeNumber(_ literal: String, name: String, in range: ClosedRange<Int64>) throws -> Int64 {
        guard let amount = try? Amount.parse(literal), amount.micros % Amount.scale == 0 else {
            throw APIError.invalid("\(name) must be a whole number")
        }
        return try inRange(amount.micros / Amount.scale, name: name, range)
    }

    /// One of `T`'s raw values.
    /// - Throws: 422 listing the values `T` has.
    static func choice<T: RawRepresentable & CaseIterable>(_ text: String, name: String, _ type: T.Type) throws -> T where T.RawValue == String {
        guard let choice = T(rawValue: text) else {
            throw APIError.invalid("\(name) must be one of: \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return choice
    }

    private static func inRange<T: Comparable>(_ value: T, name: String, _ range: ClosedRange<T>) throws -> T {
        guard range.contains(value) else { throw APIError.invalid("\(name) must be between \(range.lowerBound) and \(range.upperBound)") }
        return value
    }
}
