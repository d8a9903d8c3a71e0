import TributeCore

/// The `events` table (the outbox) as both stores read and write it.
enum EventRows {
    /// The event `draft` as written now to the workspace's outbox; its order number is the
    /// store's to give.
    static func record(_ draft: EventDraft, workspaceId: String, atMillis: Int64) -> EventRecord {
        EventRecord(seq: 0, id: Identifier.make("evt"), workspaceId: workspaceId, type: draft.type, data: draft.data, createdAtMillis: atMillis)
    }

    /// Writes `record` to the outbox.
    static func insert(_ record: EventRecord) -> StoreStatement {
        StoreStatement(
            "INSERT INTO events (id, workspace_id, type, body, created_at) VALUES (?, ?, ?, ?, ?)",
            [.text(record.id), .text(record.workspaceId), .text(record.type.rawValue), .text(record.json.serialized), .int(record.createdAtMillis)])
    }

    /// The workspace's events after `afterSeq`, oldest first, at most `limit`.
    static func since(workspaceId: String, afterSeq: Int64, limit: Int) -> StoreStatement {
        StoreStatement(
            "SELECT seq, body FROM events WHERE workspace_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            [.text(workspaceId), .int(afterSeq), .int(Int64(limit))])
    }

    /// An event from a row of `since`.
    /// - Throws: `StoreFault.unknownValue` for a body that is not an event Tribute writes.
    static func event(_ columns: inout some ColumnReader) throws -> EventRecord {
        let seq = try columns.int()
        guard let event = EventRecord(seq: seq, body: try columns.text()) else { throw StoreFault.unknownValue("events.body", "seq \(seq)") }
        return event
    }

    /// The workspace's newest event and decision, 0 where it has none: where a live stream starts.
    static func streamPosition(workspaceId: String) -> StoreStatement {
        StoreStatement("""
            SELECT (SELECT COALESCE(MAX(seq), 0) FROM events WHERE workspace_id = ?),
                   (SELECT COALESCE(MAX(seq), 0) FROM decisions WHERE workspace_seq = \(DecisionRows.workspaceSeq))
            """, [.text(workspaceId), .text(workspaceId)])
    }

    /// How many of the workspace's events and decisions lie after `position` up to
    /// `bound`, at most `limit` of each: two index range scans, of `(workspace_id, seq)` and `(workspace_seq, seq)`.
    static func backlog(workspaceId: String, after position: StreamPosition, upTo bound: StreamPosition, limit: Int) -> StoreStatement {
        StoreStatement("""
            SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM events WHERE workspace_id = ? AND seq > ? AND seq <= ? LIMIT ?) AS e),
                   (SELECT COUNT(*) FROM (SELECT 1 FROM decisions WHERE workspace_seq = \(DecisionRows.workspaceSeq) AND seq > ? AND seq <= ? LIMIT ?) AS d)
            """, [
                .text(workspaceId), .int(position.eventSeq), .int(bound.eventSeq), .int(Int64(limit)),
                .text(workspaceId), .int(position.decisionSeq), .int(bound.decisionSeq), .int(Int64(limit)),
            ])
    }

    static func backlog(_ columns: inout some ColumnReader) throws -> Int {
        Int(try columns.int() + columns.int())
    }

    static func streamPosition(_ columns: inout some ColumnReader) throws -> StreamPosition {
        StreamPosition(eventSeq: try columns.int(), decisionSeq: try columns.int())
    }
}
