/// Where a live stream of a workspace stands: the last outbox event and the last decision it
/// has sent. Sent as each message's SSE `id` (`<event seq>-<decision seq>`), so that a client
/// reconnecting with `Last-Event-ID` resumes where it left off.
public struct StreamPosition: Sendable, Equatable, CustomStringConvertible {
    public var eventSeq: Int64
    public var decisionSeq: Int64

    public init(eventSeq: Int64, decisionSeq: Int64) {
        self.eventSeq = eventSeq
        self.decisionSeq = decisionSeq
    }

    public var description: String { "\(eventSeq)-\(decisionSeq)" }

    /// Parses `<event seq>-<decision seq>`; `nil` for anything else.
    public init?(parsing text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.count <= 18 && $0.allSatisfy(\.isASCII) }),
              let events = Int64(parts[0]), let decisions = Int64(parts[1]), events >= 0, decisions >= 0 else { return nil }
        self.init(eventSeq: events, decisionSeq: decisions)
    }
}
