import TributeCore

/// Parses an opaque list cursor (a sequence number given by an earlier page).
/// - Throws: `invalidValue` for anything else.
func listCursor(_ cursor: String?) throws -> Int64? {
    guard let cursor else { return nil }
    guard let value = Int64(cursor), value > 0 else { throw TributeError.invalidValue("cursor is not one this service gave") }
    return value
}

/// A page from the rows of a query that asked for `limit + 1`: the first `limit`, with the
/// cursor of the next page (the order number of this page's last row) when the extra row came.
func page<Item: Sendable>(_ rows: [(seq: Int64, item: Item)], limit: Int) -> Page<Item> {
    let shown = rows.prefix(limit)
    return Page(items: shown.map(\.item), nextCursor: rows.count > limit ? shown.last.map { String($0.seq) } : nil)
}

/// Whether the workspace `id` exists.
func workspaceExists(id: String) -> StoreStatement {
    StoreStatement("SELECT 1 FROM workspaces WHERE id = ?", [.text(id)])
}
