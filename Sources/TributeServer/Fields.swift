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

    /// The members of an object inside a body (`tokenRates`), validated by the same rules.
    init(members: [String: JSON]) {
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
    /// forms alike: 1 to `maxBytes` UTF-8 bytes, none of them `isRefusedInText`.
    /// - Throws: 422 otherwise.
    static func checkText(_ text: String, name: String, maxBytes: Int) throws {
        try check(text, name: name, maxBytes: maxBytes, refusing: isRefusedInText)
    }

    /// The rule for an id a call carries, or a budget scope's id: `checkText`'s, and no
    /// joiner, format or default-ignorable character either (`isRefusedInId`).
    /// - Throws: 422 otherwise.
    static func checkId(_ text: String, name: String, maxBytes: Int) throws {
        try check(text, name: name, maxBytes: maxBytes, refusing: isRefusedInId)
    }

    /// 1 to `maxBytes` UTF-8 bytes, none of them `refused`: one pass over the text.
    private static func check(_ text: String, name: String, maxBytes: Int, refusing refused: (Unicode.Scalar) -> Bool) throws {
        guard !text.isEmpty, text.utf8.count <= maxBytes else { throw APIError.invalid("\(name) must be 1 to \(maxBytes) bytes of UTF-8") }
        if let scalar = text.unicodeScalars.first(where: refused) { throw refusal(name, scalar) }
    }

    /// Characters no caller's text may hold, since they would change how it reads rather
    /// than what it says, in the dashboard, a log line or a CSV export:
    /// - controls: C0 (U+0000–U+001F), DEL and C1 (U+007F–U+009F, where a terminal's CSI
    ///   is U+009B), and the line and paragraph separators U+2028 and U+2029;
    /// - bidirectional controls, which reorder what follows (U+202E shows `exe.txt` as
    ///   `txt.exe`): U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069, and the
    ///   deprecated format controls U+206A–U+206F;
    /// - invisible characters that make two equal-looking texts differ: U+00AD, U+180E,
    ///   U+200B, U+2060–U+2064, U+FEFF and the interlinear annotations U+FFF9–U+FFFB.
    ///
    /// The joiners U+200C and U+200D stay allowed in names: Persian and Indic scripts and
    /// emoji sequences need them; so do variation selectors (U+FE0F asks for an emoji's
    /// colour) and tag characters (U+E0020–U+E007F spell subdivision flags). Ids refuse
    /// them all (`isRefusedInId`). An explicit list of the Basic Multilingual Plane, not a
    /// Unicode category, so that `openapi.yaml`'s patterns can state the same rule
    /// character for character.
    static func isRefusedInText(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0xAD, 0x061C, 0x180E, 0x200B, 0x200E, 0x200F, 0x2028...0x202E, 0x2060...0x206F, 0xFEFF, 0xFFF9...0xFFFB:
            true
        default:
            false
        }
    }

    /// `isRefusedInText`, and every other character that can hide in an id: the joiners
    /// U+200C and U+200D, every format character (general category Cf: tag characters
    /// U+E0001–U+E007F, U+1D173–U+1D17A, U+0600–U+0605, ...) and every default-ignorable
    /// code point (Default_Ignorable_Code_Point: U+034F, the variation selectors
    /// U+FE00–U+FE0F and U+E0100–U+E01EF, the Hangul fillers U+115F, U+1160, U+3164 and
    /// U+FFA0, U+17B4, U+17B5, U+180B–U+180F, and whatever Unicode keeps unassigned for
    /// such characters, U+E0000–U+E0FFF among it). Each would make `bob` and `bob` with one
    /// of them two users, two budgets, that look the same on every page.
    ///
    /// The categories rather than a list, so that a character a later Unicode adds to them
    /// is refused too; `openapi.yaml`'s `CallId` pattern lists what they hold, and
    /// `CallerTextTests` compares the two on every code point.
    static func isRefusedInId(_ scalar: Unicode.Scalar) -> Bool {
        isRefusedInText(scalar) || scalar.value == 0x200C || scalar.value == 0x200D
            || scalar.properties.isDefaultIgnorableCodePoint || scalar.properties.generalCategory == .format
    }

    private static func refusal(_ name: String, _ scalar: Unicode.Scalar) -> APIError {
        let code = String(scalar.value, radix: 16, uppercase: true)
        return APIError.invalid("\(name) must not contain control, bidirectional, format or invisible characters (it holds U+\(String(repeating: "0", count: max(0, 4 - code.count)))\(code))")
    }

    /// An id a call carries (`userId`, `agentId`, `runId`): text by `checkId`, other than
    /// `.` and `..`, so that every id a call can send can also name a budget scope.
    mutating func callId(_ name: String, maxLength: Int = 200) throws -> String? {
        guard let value = try value(name) else { return nil }
        guard case .string(let text) = value else { throw APIError.malformed("\(name) must be a string, not \(value.typeName)") }
        try Fields.checkId(text, name: name, maxBytes: maxLength)
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
