/// Serialization of `JSON` to compact UTF-8 text, with object keys in a stable order.
extension JSON {
    /// Compact JSON text; object keys are sorted so that equal values give equal bytes,
    /// which the idempotency hash and the decision hash chain depend on.
    public var serialized: String {
        var output = ""
        output.reserveCapacity(128)
        write(to: &output)
        return output
    }

    public func write(to output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .number(let literal): output += literal
        case .string(let value): JSON.writeString(value, to: &output)
        case .array(let elements):
            output += "["
            for (offset, element) in elements.enumerated() {
                if offset > 0 { output += "," }
                element.write(to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (offset, key) in members.keys.sorted().enumerated() {
                if offset > 0 { output += "," }
                JSON.writeString(key, to: &output)
                output += ":"
                members[key]!.write(to: &output)
            }
            output += "}"
        }
    }

    public static func writeString(_ value: String, to output: inout String) {
        // Most strings (ids, codes, names) need no escaping: copy them whole.
        if value.utf8.allSatisfy({ $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C && $0 < 0x80 }) {
            output += "\""
            output += value
            output += "\""
            return
        }
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }

    /// A number value for an exact amount.
    public static func amount(_ value: Amount) -> JSON { .number(value.description) }
    /// A number value for an integer.
    public static func int(_ value: Int64) -> JSON { .number(String(value)) }
    /// An optional string, `null` when absent.
    public static func optional(_ value: String?) -> JSON { value.map { .string($0) } ?? .null }
    /// ISO 8601 UTC text for Unix milliseconds, e.g. `2026-11-22T10:00:00.123Z`.
    public static func timestamp(millis: Int64) -> JSON { .string(ISOTime.format(millis: millis)) }
}
