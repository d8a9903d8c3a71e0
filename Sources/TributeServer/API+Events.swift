import HTTPTypes
import Hummingbird
import ServiceLifecycle
import TributeCore
import TributeStore

extension API {
    func registerEvents(_ routes: inout RouteTable) {
        routes.on("/v1/workspaces/{id}/events", .get) { request, context in
            let id = try API.workspaceId(context)
            _ = try await auth.require(request, .anyRole, workspace: id)
            return try await LiveStream.response(store: store, workspaceId: id, request: request)
        }
    }
}

extension HTTPField.Name {
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
}

/// One client's Server-Sent Events stream of a workspace: the outbox's events, every
/// decision, and the balances after each change, read from the database (so that changes
/// made by any instance appear) from `start` on.
///
/// Each message's `id` is the stream position after it; a reconnecting client sends it back
/// as `Last-Event-ID` and misses nothing. The stream ends when the client goes away, the
/// server shuts down, or the database fails (the client reconnects and resumes).
struct LiveStream<Store: TributeStore>: Sendable {
    let store: Store
    let workspaceId: String
    let start: StreamPosition

    static var pollMillis: Int { 250 }
    /// A comment line this often keeps proxies from closing an idle stream and finds
    /// clients that left.
    static var keepAliveSeconds: Int64 { 15 }
    static var batch: Int { 100 }

    /// The stream of `workspaceId` as a response, from the position in `Last-Event-ID` or
    /// `?after=` (a reconnecting client, or a page rendered at that position), else from now.
    static func response(store: Store, workspaceId: String, request: Request) async throws -> Response {
        var start = try await store.streamPosition(workspaceId: workspaceId)
        if let resume = request.headers[.lastEventID] ?? request.uri.queryParameters.get("after").map({ String($0) }) {
            guard let parsed = StreamPosition(parsing: resume) else {
                throw APIError.invalid("Last-Event-ID (or after) must be an id this stream sent, such as 12-345")
            }
            start = parsed
        }
        let stream = LiveStream(store: store, workspaceId: workspaceId, start: start)
        var headers: HTTPFields = [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache"]
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in try await stream.run(&writer) })
    }

    func run(_ writer: inout any ResponseBodyWriter) async throws {
        var position = start
        try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
        try await writeBalance(&writer, position: position)
        var idleSince = ContinuousClock.now
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let events = try await store.events(workspaceId: workspaceId, afterSeq: position.eventSeq, limit: LiveStream.batch)
            let decisions = try await store.decisionsSince(workspaceId: workspaceId, afterSeq: position.decisionSeq, limit: LiveStream.batch)
            if events.isEmpty && decisions.isEmpty {
                if ContinuousClock.now - idleSince > .seconds(LiveStream.keepAliveSeconds) {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    idleSince = ContinuousClock.now
                }
                try await Task.sleep(for: .milliseconds(LiveStream.pollMillis))
                continue
            }
            // Both lists are in commit order; merged by time, decisions first on a tie.
            var pendingEvents = events[...]
            var pendingDecisions = decisions[...]
            while let next = LiveStream.next(&pendingEvents, &pendingDecisions) {
                switch next {
                case .event(let event):
                    position.eventSeq = event.seq
                    try await writer.write(LiveStream.message(type: event.type.rawValue, id: position, data: event.json))
                case .decision(let seq, let decision):
                    position.decisionSeq = seq
                    try await writer.write(LiveStream.message(type: EventType.decision.rawValue, id: position, data: decision.json))
                }
            }
            try await writeBalance(&writer, position: position)
            idleSince = ContinuousClock.now
        }
        try await writer.finish(nil)
    }

    enum Item {
        case event(EventRecord)
        case decision(Int64, DecisionRecord)
    }

    static func next(_ events: inout ArraySlice<EventRecord>, _ decisions: inout ArraySlice<(seq: Int64, decision: DecisionRecord)>) -> Item? {
        switch (events.first, decisions.first) {
        case (nil, nil): return nil
        case (let event?, nil):
            events.removeFirst()
            return .event(event)
        case (nil, let decision?):
            decisions.removeFirst()
            return .decision(decision.seq, decision.decision)
        case (let event?, let decision?):
            if event.createdAtMillis < decision.decision.createdAtMillis {
                events.removeFirst()
                return .event(event)
            }
            decisions.removeFirst()
            return .decision(decision.seq, decision.decision)
        }
    }

    /// The workspace's balances now, as a `balance` message.
    func writeBalance(_ writer: inout any ResponseBodyWriter, position: StreamPosition) async throws {
        let view = try await store.workspace(id: workspaceId)
        let data = JSON.object([
            "workspaceId": .string(workspaceId), "remainingBalance": .amount(view.remainingBalance),
            "remainingAllowance": .amount(view.remainingAllowance), "heldAmount": .amount(view.heldAmount),
        ])
        try await writer.write(LiveStream.message(type: "balance", id: position, data: data))
    }

    static func message(type: String, id: StreamPosition, data: JSON) -> ByteBuffer {
        ByteBuffer(string: "event: \(type)\nid: \(id)\ndata: \(data.serialized)\n\n")
    }
}
