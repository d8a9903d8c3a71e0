import TributeCore

/// A JSON object body being validated: typed accessors that throw the API's 400/422, and a
/// check that no field was sent that the operation does not know.
struct Fields: FieldSource {
    private let members: [String: JSON]
    private var known: Set<String> = []

    /// Parses a request body as one JSON object.
    /// - Throws: 400 unless it is.
    init(body: [UInt8]) throws {
        let value: JSON
        do {
            value = try JSON.parse(body)
        } catch {
            throw APIError.malformed("The body is not valid JSON: \(error.message) at byte \(error.offset)")
        }
        guard let members = value.objectValue else { throw APIError.malformed("The body must be a JSON object") }
        self.members = members
    }

    /// The field's value; absent is `nil`. An explicit `null` is refused: optional fields
    /// are omitted, so that a typo'd or half-built request never passes as "not given".
    private mutating func value(_ name: String) throws -> JSON? {
        known.insert(name)
        guard let value = members[name] else { return nil }
        guard value != .null else { throw APIError.malformed("\(name) must not be null; omit it instead") }
        return value
    }

    /// The field's JSON as sent, for a value with a shape of its own (see `rateLimit`).
    mutating func json(_ name: String) throws -> JSON? { try value(name) }

    /// A string of 1 to `maxLength` UTF-8 bytes (bytes, not characters: one character can
    /// hold any number of combining marks).
    mutating func string(_ name: String, maxLength: Int = 200) throws -> String? {
        guard let value = try value(name) else { return nil }
        guard case .string(let text) = value else { throw APIError.malformed("\(name) must be a string, not \(value.typeName)") }
        try Fields.checkText(text, name: name, maxBytes: maxLength)
        return text
    }

    /// The one rule for text a caller names things with, in the API and the dashboard's
    /// forms alike: 1 to `maxBytes` UTF-8 bytes, no control characters.
    /// - Throws: 422 otherwise.
    static func checkText(_ text: String, name: String, maxBytes: Int) throws {
        guard !text.isEmpty, text.utf8.count <= maxBytes else { throw APIError.invalid("\(name) must be 1 to \(maxBytes) bytes of UTF-8") }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw APIError.invalid("\(name) must not contain control characters")
        }
    }

    /// An id a call carries (`userId`, `agentId`, `runId`): text as `string` allows, other
    /// than `.` and `..`, so that every id a call can send can also name a budget scope.
    mutating func callId(_ name: String, maxLength: Int = 200) throws -> String? {
        guard let text = try string(name, maxLength: maxLength) else { return nil }
        guard text != ".", text != ".." else { throw APIError.invalid("\(name) must not be . or ..") }
        return text
    }

    static func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 128 && text != "." && text != ".." && text.utf8.allSatisfy { byte in
            (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 45 || byte == 95 || byte == 46 || byte == 58
        }
    }

    /// An exact decimal amount in `range`.
    mutating func amount(_ name: String, in range: ClosedRange<Amount> = Amount.zero...Amount.max) throws -> Amount? {
        guard let value = try value(name) else { return nil }
        guard case .number(let literal) = value else { throw APIError.malformed("\(name) must be a number, not \(value.typeName)") }
        return try FieldText.amount(literal, name: name, in: range)
    }

    /// A whole number in `range`.
    mutating func integer(_ name: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let value = try value(name) else { return nil }
        guard case .number(let literal) = value else { throw APIError.malformed("\(name) must be an integer, not \(value.typeName)") }
        return try FieldText.wholeNumber(literal, name: name, in: range)
    }

    /// One of an enumeration's raw values.
    mutating func choice<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type) throws -> T? where T.RawValue == String {
        guard let value = try value(name) else { return nil }
        guard case .string(let text) = value else { throw APIError.malformed("\(name) must be a string, not \(value.typeName)") }
        return try FieldText.choice(text, name: name, type)
    }

    mutating func bool(_ name: String) throws -> Bool? {
        guard let value = try value(name) else { return nil }
        guard case .bool(let flag) = value else { throw APIError.malformed("\(name) must be true or false, not \(value.typeName)") }
        return flag
    }

    /// An object, returned serialized, of at most `maxBytes`.
    mutating func object(_ name: String, maxBytes: Int) throws -> String? {
        guard let value = try value(name) else { return nil }
        guard case .object = value else { throw APIError.malformed("\(name) must be an object, not \(value.typeName)") }
        let text = value.serialized
        guard text.utf8.count <= maxBytes else { throw APIError.invalid("\(name) is larger than \(maxBytes / 1024) KiB") }
        return text
    }

    /// An array of strings of 1 to 200 characters.
    mutating func strings(_ name: String, maxCount: Int) throws -> [String]? {
        guard let value = try value(name) else { return nil }
        guard case .array(let elements) = value else { throw APIError.malformed("\(name) must be an array, not \(value.typeName)") }
        guard elements.count <= maxCount else { throw APIError.invalid("\(name) may hold at most \(maxCount) entries") }
        return try elements.map { element in
            guard case .string(let text) = element, !text.isEmpty, text.utf8.count <= 200 else { throw APIError.malformed("\(name) must hold strings") }
            return text
        }
    }

    /// An array of identifiers.
    mutating func identifiers(_ name: String, maxCount: Int) throws -> [String]? {
        guard let value = try value(name) else { return nil }
        guard case .array(let elements) = value else { throw APIError.malformed("\(name) must be an array, not \(value.typeName)") }
        guard elements.count <= maxCount else { throw APIError.invalid("\(name) may hold at most \(maxCount) entries") }
        return try elements.map { element in
            guard case .string(let text) = element else { throw APIError.malformed("\(name) must hold strings") }
            guard Fields.isIdentifier(text) else { throw APIError.invalid("\(name) holds an invalid identifier") }
            return text
        }
    }

    /// - Throws: 400 naming the first field the operation does not know.
    func rejectUnknown() throws {
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
            throw APIError.malformed("Unknown field \"\(unknown)\"")
        }
    }
}
