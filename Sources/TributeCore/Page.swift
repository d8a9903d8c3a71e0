/// A page of a newest-first list.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    /// Pass back as `cursor` for the next page; `nil` on the last page.
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}
