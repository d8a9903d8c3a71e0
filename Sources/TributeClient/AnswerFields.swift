import Foundation
import TributeCore

/// The fields of one JSON object of an answer, read with checks: a field missing or of the
/// wrong type is `TributeClientError.invalidResponse`, never a crash. Fields this client does
/// not know are ignored, so that a newer server can add some.
struct AnswerFields {
    let object: [String: JSON]
    /// What the object is, for the error message ("decision", "hold").
    let what: String
    let status: Int

    init(_ json: JSON, what: String, status: Int = 200) throws {
        guard let object = json.objectValue else { throw TributeClientError.invalidResponse(status: status, detail: "\(what) is not a JSON object") }
        self.object = object
        self.what = what
        self.status = status
    }

    private func invalid(_ name: String, _ expected: String) -> TributeClientError {
        .invalidResponse(status: status, detail: "\(what): \"\(name)\" is missing or not \(expected)")
    }

    /// Absent and `null` are both "not given".
    private func present(_ name: String) -> JSON? {
        guard let value = object[name], value != .null else { return nil }
        return value
    }

    func string(_ name: String) throws -> String {
        guard let value = object[name]?.stringValue else { throw invalid(name, "a string") }
        return value
    }

    func optionalString(_ name: String) throws -> String? {
        guard let value = present(name) else { return nil }
        guard let text = value.stringValue else { throw invalid(name, "a string") }
        return text
    }

    func bool(_ name: String) throws -> Bool {
        guard case .bool(let value)? = object[name] else { throw invalid(name, "a boolean") }
        return value
    }

    /// An exact amount, parsed from the number's own text.
    func amount(_ name: String) throws -> Amount {
        guard case .number(let text)? = object[name], let amount = try? Amount.parse(text) else { throw invalid(name, "an amount") }
        return amount
    }

    func optionalAmount(_ name: String) throws -> Amount? {
        guard present(name) != nil else { return nil }
        return try amount(name)
    }

    func int(_ name: String) throws -> Int64 {
        guard case .number(let text)? = object[name], let value = Int64(text) else { throw invalid(name, "an integer") }
        return value
    }

    func optionalInt(_ name: String) throws -> Int64? {
        guard present(name) != nil else { return nil }
        return try int(name)
    }

    /// An ISO 8601 UTC timestamp.
    func time(_ name: String) throws -> Date {
        guard let text = object[name]?.stringValue, let millis = ISOTime.parse(text) else { throw invalid(name, "a timestamp") }
        return Date(timeIntervalSince1970: Double(millis) / 1000)
    }

    func optionalTime(_ name: String) throws -> Date? {
        guard present(name) != nil else { return nil }
        return try time(name)
    }

    func objectFields(_ name: String) throws -> AnswerFields {
        guard let value = object[name] else { throw invalid(name, "an object") }
        return try AnswerFields(value, what: "\(what).\(name)", status: status)
    }

    func array(_ name: String) throws -> [JSON] {
        guard case .array(let items)? = object[name] else { throw invalid(name, "an array") }
        return items
    }

    func optionalObject(_ name: String) throws -> [String: JSON]? {
        guard let value = present(name) else { return nil }
        guard let members = value.objectValue else { throw invalid(name, "an object") }
        return members
    }
}
