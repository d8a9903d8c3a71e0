import Foundation
import TributeCore

/// An `application/x-www-form-urlencoded` body.
struct FormBody {
    /// Every value of each name, in the order sent (checkboxes of one name send several).
    private var values: [String: [String]] = [:]
    /// Whether some of the body is not text (bytes that are no UTF-8, or a `%` escape that
    /// decodes to none): such a form is refused whole (`checkText`), never applied without
    /// the fields it garbled.
    private(set) var isMalformed = false

    init(_ bytes: [UInt8]) {
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            isMalformed = true
            return
        }
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = FormBody.decode(parts[0]), let value = parts.count > 1 ? FormBody.decode(parts[1]) : "" else {
                isMalformed = true
                continue
            }
            values[name, default: []].append(value)
        }
    }

    /// - Throws: 422 when the body is not text (`isMalformed`).
    func checkText() throws {
        if isMalformed { throw APIError.invalid("The form is not valid text (UTF-8, percent-encoded)") }
    }

    /// The last value of `name`, trimmed; an empty one is absent.
    subscript(_ name: String) -> String? {
        let value = values[name]?.last?.trimmingCharacters(in: .whitespacesAndNewlines)
        return value?.isEmpty == true ? nil : value
    }

    /// The last value of `name` exactly as sent, untrimmed: for values the page wrote itself
    /// (a row's scope), which must come back as they were. An empty one is absent.
    func raw(_ name: String) -> String? {
        guard let value = values[name]?.last, !value.isEmpty else { return nil }
        return value
    }

    /// Every non-empty value of `name`, trimmed.
    func all(_ name: String) -> [String] {
        (values[name] ?? []).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    private static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}

/// A form's values follow the API's rules (`FieldText`), so that the dashboard's forms and
/// the API share their validators (`PlanInput`, `ActionCostInput`). An empty input is
/// absent.
extension FormBody: FieldSource {
    func string(_ name: String, maxLength: Int) throws -> String? {
        guard let text = self[name] else { return nil }
        try Fields.checkText(text, name: name, maxBytes: maxLength)
        return text
    }

    func amount(_ name: String, in range: ClosedRange<Amount>) throws -> Amount? {
        try self[name].map { try FieldText.amount($0, name: name, in: range) }
    }

    func integer(_ name: String, in range: ClosedRange<Int64>) throws -> Int64? {
        try self[name].map { try FieldText.wholeNumber($0, name: name, in: range) }
    }

    func choice<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type) throws -> T? where T.RawValue == String {
        try self[name].map { try FieldText.choice($0, name: name, type) }
    }
}
