import TributeCore

/// Parses an opaque list cursor (a sequence number given by an earlier page).
/// - Throws: `invalidValue` for anything else.
func listCursor(_ cursor: String?) throws -> Int64? {
    guard let cursor else { return nil }
    guard let value = Int64(cursor), value > 0 else { throw TributeError.invalidValue("cursor is not one this service gave") }
    return value
}

/// The workspace ids of an API key, stored as a JSON array of strings.
func parseIds(_ text: String) -> [String] {
    guard case .array(let values)? = try? JSON.parse(Array(text.utf8)) else { return [] }
    return values.compactMap(\.stringValue)
}
