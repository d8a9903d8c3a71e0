import Hummingbird
import TributeCore
import TributeStore

/// One message of a workspace's stream before it is given an `id:`: an outbox event or a
/// decision, with its order number and its `data:` already serialized.
struct StreamItem: Sendable {
    enum Kind: Sendable { case event, decision }

    let kind: Kind
    let seq: Int64
    let type: String
    let data: String
}

/// What a workspace's reader hands each of its streams.
enum FeedMessage: Sendable {
    case changes(FeedChanges)
    /// Sent every `keyCheckMillis`: streams see their age, and keep idle connections alive
    /// (each stream's watchdog re-checks its key on its own, whether or not it reads these).
    case tick
}

/// The changes of a workspace from position `from` to `to`. Consecutive changes of one
/// reader join up (`to` of one is `from` of the next), so a stream that has seen every
/// message from a reader is always at the `from` of the next one.
struct FeedChanges: Sendable {
    let from: StreamPosition
    let to: StreamPosition
    let items: [StreamItem]
    /// The balances after the changes, serialized; `nil` when there are no items.
    let balance: String?
    /// The items and the balance as a stream at exactly `from` writes them: what nearly
    /// every stream sends, formatted once for all.
    let bytes: ByteBuffer

    init(from: StreamPosition, items: [StreamItem], balance: String?) {
        var position = from
        var bytes = ByteBuffer()
        for item in items {
            position.advance(past: item)
            bytes.writeImmutableBuffer(StreamFeed.message(type: item.type, id: position, data: item.data))
        }
        if let balance, !items.isEmpty {
            bytes.writeImmutableBuffer(StreamFeed.message(type: "balance", id: position, data: balance))
        }
        self.from = from
        self.to = position
        self.items = items
        self.balance = balance
        self.bytes = bytes
    }
}

extension StreamPosition {
    mutating func advance(past item: StreamItem) {
        switch item.kind {
        case .event: eventSeq = max(eventSeq, item.seq)
        case .decision: decisionSeq = max(decisionSeq, item.seq)
        }
    }

    /// Whether this position has `item` already.
    func includes(_ item: StreamItem) -> Bool {
        switch item.kind {
        case .event: item.seq <= eventSeq
        case .decision: item.seq <= decisionSeq
        }
    }

    /// Whether anything up to `other` may still be missing from this position.
    func isBehind(_ other: StreamPosition) -> Bool {
        eventSeq < other.eventSeq || decisionSeq < other.decisionSeq
    }
}

/// Reading a workspace's stream from the store, shared by the workspace's reader and by
/// streams catching up to it.
enum StreamFeed {
    /// Events and decisions read per query.
    static var batch: Int { 100 }

    /// The workspace's items after `position`, up to `limit` of each kind and none past
    /// `bound`, in commit order: the outbox and the decision log merged by time, decisions
    /// first on a tie.
    static func items(store: some TributeStore, workspaceId: String, after position: StreamPosition,
                      upTo bound: StreamPosition? = nil, limit: Int = batch) async throws -> [StreamItem] {
        var events: [EventRecord] = []
        if bound.map({ position.eventSeq < $0.eventSeq }) ?? true {
            events = try await store.events(workspaceId: workspaceId, afterSeq: position.eventSeq, limit: limit)
            if let bound { events.removeAll { $0.seq > bound.eventSeq } }
        }
        var decisions: [(seq: Int64, decision: DecisionRecord)] = []
        if bound.map({ position.decisionSeq < $0.decisionSeq }) ?? true {
            decisions = try await store.decisionsSince(workspaceId: workspaceId, afterSeq: position.decisionSeq, limit: limit)
            if let bound { decisions.removeAll { $0.seq > bound.decisionSeq } }
        }
        var merged: [StreamItem] = []
        merged.reserveCapacity(events.count + decisions.count)
        var pendingEvents = events[...]
        var pendingDecisions = decisions[...]
        while true {
            switch (pendingEvents.first, pendingDecisions.first) {
            case (nil, nil):
                return merged
            case (let event?, let decision?) where event.createdAtMillis < decision.decision.createdAtMillis:
                pendingEvents.removeFirst()
                merged.append(item(event))
            case (let event?, nil):
                pendingEvents.removeFirst()
                merged.append(item(event))
            case (_, let decision?):
                pendingDecisions.removeFirst()
                merged.append(StreamItem(kind: .decision, seq: decision.seq, type: EventType.decision.rawValue, data: decision.decision.json.serialized))
            }
        }
    }

    private static func item(_ event: EventRecord) -> StreamItem {
        StreamItem(kind: .event, seq: event.seq, type: event.type.rawValue, data: event.json.serialized)
    }

    /// The workspace's balances now, serialized as a `balance` message's data.
    static func balance(store: some TributeStore, workspaceId: String) async throws -> String {
        let view = try await store.workspace(id: workspaceId)
        return JSON.object([
            "workspaceId": .string(workspaceId), "remainingBalance": .amount(view.remainingBalance),
            "remainingAllowance": .amount(view.remainingAllowance), "heldAmount": .amount(view.heldAmount),
            "heldAllowance": .amount(view.heldAllowance),
        ]).serialized
    }

    static func message(type: String, id: StreamPosition, data: String) -> ByteBuffer {
        ByteBuffer(string: "event: \(type)\nid: \(id)\ndata: \(data)\n\n")
    }
}
