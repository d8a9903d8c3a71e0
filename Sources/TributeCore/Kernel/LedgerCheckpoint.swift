import Crypto

/// Every decision chain's head at one moment (SPEC §4), and the digest that names it. The
/// digest is kept outside the database (printed, sent as `ledger.checkpoint` events); a
/// database restored from an older copy then lacks the checkpoint, or lacks the decisions
/// its heads name, and `tribute ledger verify --checkpoint DIGEST` says so.
public struct LedgerCheckpoint: Sendable, Equatable {
    /// One workspace's chain head.
    public struct Head: Sendable, Equatable {
        public var workspaceId: String
        public var hash: String

        public init(workspaceId: String, hash: String) {
            self.workspaceId = workspaceId
            self.hash = hash
        }
    }

    /// Unix milliseconds.
    public var createdAtMillis: Int64
    /// Sorted by workspace id.
    public var heads: [Head]

    public init(createdAtMillis: Int64, heads: [Head]) {
        self.createdAtMillis = createdAtMillis
        self.heads = heads.sorted { $0.workspaceId < $1.workspaceId }
    }

    /// The stored text: a header line, then one `workspace-id hash` line per chain.
    /// Workspace ids hold no spaces or newlines (`Fields.isIdentifier`).
    public var text: String {
        var text = "tribute-checkpoint-v1 \(createdAtMillis)\n"
        for head in heads { text += "\(head.workspaceId) \(head.hash)\n" }
        return text
    }

    /// SHA-256 of `text`, in hex.
    public var digest: String { Hex.encode(SHA256.hash(data: Array(text.utf8))) }

    /// Reads `text` back. - Returns: `nil` for text `text` never writes.
    public init?(text: String) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.last == "" else { return nil }
        lines.removeLast()
        guard let header = lines.first, header.hasPrefix("tribute-checkpoint-v1 "),
              let created = Int64(header.dropFirst("tribute-checkpoint-v1 ".count)) else { return nil }
        var heads: [Head] = []
        for line in lines.dropFirst() {
            let parts = line.split(separator: " ")
            guard parts.count == 2, parts[1].utf8.count == 64 else { return nil }
            heads.append(Head(workspaceId: String(parts[0]), hash: String(parts[1])))
        }
        self.init(createdAtMillis: created, heads: heads)
        guard self.text == text else { return nil }
    }

    /// Whether every chain's head is as `previous` recorded it: then no new checkpoint is
    /// written (the previous one still names this state).
    public func isUnchanged(since previous: LedgerCheckpoint?) -> Bool {
        guard let previous else { return false }
        return previous.heads == heads
    }

    /// The heads that moved since `previous` (all, without one): the workspaces that get a
    /// `ledger.checkpoint` event.
    public func moved(since previous: LedgerCheckpoint?) -> [Head] {
        let before = Dictionary((previous?.heads ?? []).map { ($0.workspaceId, $0.hash) }, uniquingKeysWith: { first, _ in first })
        return heads.filter { before[$0.workspaceId] != $0.hash && $0.hash != DecisionRecord.genesisHash }
    }

    /// The `ledger.checkpoint` event of one workspace.
    public func event(for head: Head) -> EventDraft {
        EventDraft(type: .ledgerCheckpoint, data: [
            "digest": .string(digest), "head": .string(head.hash), "createdAt": .int(createdAtMillis),
        ])
    }
}
