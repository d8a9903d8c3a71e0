import HTTPTypes
import Hummingbird
import ServiceLifecycle
import TributeCore
import TributeStore

extension API {
    func registerEvents(_ routes: inout RouteTable) {
        routes.on("/v1/workspaces/{id}/events", .get) { request, context in
            let id = try API.workspaceId(context)
            let principal = try await auth.require(request, .anyRole, workspace: id)
            // Re-checked through the store, not `auth`: a stream's checks are not calls and
            // take nothing from the key's rate limit. A revoked key, or one no longer
            // allowed on the workspace, ends the stream.
            let secret = API.bearerSecret(request)
            return try await LiveStream.response(hub: streams, workspaceId: id, keyId: principal.keyId, request: request) { [store] in
                guard let secret, let principal = try? await store.principal(secret: secret) else { return false }
                return Set<Role>.anyRole.contains(principal.role) && principal.canAccess(workspaceId: id)
            }
        }
    }

    /// The secret of an `Authorization: Bearer` header that `auth` has accepted.
    static func bearerSecret(_ request: Request) -> String? {
        let parts = request.headers[.authorization]?.split(separator: " ", maxSplits: 1)
        guard let parts, parts.count == 2 else { return nil }
        return String(parts[1])
    }
}

extension HTTPField.Name {
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
}

/// One client's Server-Sent Events stream of a workspace: the outbox's events, every
/// decision, and the balances after each change, from `start` on.
///
/// The stream does not poll the database itself: it follows its workspace's shared reader
/// in `StreamHub`. It reads the store on its own only to catch up — from an older
/// `Last-Event-ID` to where the reader is, or over a gap left when it fell so far behind
/// that its buffer dropped messages — and then follows the reader again.
///
/// Each message's `id` is the stream position after it; a reconnecting client sends it back
/// as `Last-Event-ID` and misses nothing. The stream ends when the client goes away, the
/// server shuts down, the database fails, the key is revoked (checked every
/// `keyCheckMillis`), or after `maxDurationSeconds` (the client reconnects and resumes).
struct LiveStream<Store: TributeStore>: Sendable {
    let hub: StreamHub<Store>
    let workspaceId: String
    let start: StreamPosition
    /// Whether the caller may still watch the workspace: its key is not revoked, nor its
    /// dashboard session ended.
    let isAuthorized: @Sendable () async -> Bool

    var store: Store { hub.store }
    var settings: LiveStreamSettings { hub.settings }

    /// The stream of `workspaceId` as a response, from the position in `Last-Event-ID` or
    /// `?after=` (a reconnecting client, or a page rendered at that position), else from now.
    /// - Throws: 422 for a position this stream never sent, 404 for an unknown workspace,
    ///   `429 too_many_streams` when `keyId` or the server holds as many streams as allowed.
    static func response(
        hub: StreamHub<Store>, workspaceId: String, keyId: String, request: Request,
        isAuthorized: @escaping @Sendable () async -> Bool
    ) async throws -> Response {
        var resume: StreamPosition?
        if let text = request.headers[.lastEventID] ?? request.uri.queryParameters.get("after").map({ String($0) }) {
            guard let parsed = StreamPosition(parsing: text) else {
                throw APIError.invalid("Last-Event-ID (or after) must be an id this stream sent, such as 12-345")
            }
            resume = parsed
        }
        let now = try await hub.store.streamPosition(workspaceId: workspaceId)
        let slot: StreamSlot
        do {
            slot = try hub.slots.acquire(keyId: keyId)
        } catch {
            throw LiveStream.tooManyStreams(error)
        }
        let stream = LiveStream(hub: hub, workspaceId: workspaceId, start: resume ?? now, isAuthorized: isAuthorized)
        var headers: HTTPFields = [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-cache"]
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        // The body holds the slot: it is given back when the stream ends, or when the
        // response is dropped unsent.
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            defer { slot.release() }
            try await stream.run(&writer)
        })
    }

    static func tooManyStreams(_ refusal: StreamSlots.Refusal) -> APIError {
        let message = switch refusal {
        case .keyFull(let max): "This key already has \(max) live streams open; close one first"
        case .serverFull(let max): "The server already has \(max) live streams open; try again later"
        }
        var error = APIError(status: .tooManyRequests, code: "too_many_streams", message: message)
        error.headers[.retryAfter] = "5"
        return error
    }

    func run(_ writer: inout any ResponseBodyWriter) async throws {
        let subscription = await hub.subscribe(workspaceId: workspaceId)
        do {
            try await withGracefulShutdownHandler {
                try await follow(subscription, &writer)
            } onGracefulShutdown: {
                subscription.continuation.finish()
            }
        } catch {
            await hub.unsubscribe(subscription)
            throw error
        }
        await hub.unsubscribe(subscription)
        try await writer.finish(nil)
    }

    /// Writes the stream until its end: the first balance, any catching up, then the
    /// reader's changes.
    private func follow(_ subscription: StreamHub<Store>.Subscription, _ writer: inout any ResponseBodyWriter) async throws {
        let deadline = ContinuousClock.now + .seconds(settings.maxDurationSeconds)
        var position = start
        try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
        try await writer.write(StreamFeed.message(type: "balance", id: position, data: try await StreamFeed.balance(store: store, workspaceId: workspaceId)))
        if let readerPosition = subscription.readerPosition {
            try await catchUp(to: readerPosition, from: &position, &writer)
        }
        var lastWrite = ContinuousClock.now
        for await message in subscription.messages {
            guard ContinuousClock.now < deadline, !Task.isShuttingDownGracefully else { return }
            switch message {
            case .changes(let changes):
                if position.isBehind(changes.from) {
                    try await catchUp(to: changes.from, from: &position, &writer)
                }
                if try await apply(changes, at: &position, &writer) { lastWrite = ContinuousClock.now }
            case .tick:
                guard await isAuthorized() else { return }
                if ContinuousClock.now - lastWrite >= .seconds(settings.keepAliveSeconds) {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    lastWrite = ContinuousClock.now
                }
            }
        }
    }

    /// Writes what the reader read, skipping what this stream has already sent.
    /// - Returns: whether anything was written.
    private func apply(_ changes: FeedChanges, at position: inout StreamPosition, _ writer: inout any ResponseBodyWriter) async throws -> Bool {
        if position == changes.from {
            // The usual case: the messages as the reader formatted them.
            guard changes.bytes.readableBytes > 0 else { return false }
            try await writer.write(changes.bytes)
            position = changes.to
            return true
        }
        var wrote = false
        for item in changes.items where !position.includes(item) {
            position.advance(past: item)
            try await writer.write(StreamFeed.message(type: item.type, id: position, data: item.data))
            wrote = true
        }
        if wrote, let balance = changes.balance {
            try await writer.write(StreamFeed.message(type: "balance", id: position, data: balance))
        }
        return wrote
    }

    /// Reads and writes what lies between `position` and `target` from the store, a batch
    /// at a time, each batch followed by the balance.
    private func catchUp(to target: StreamPosition, from position: inout StreamPosition, _ writer: inout any ResponseBodyWriter) async throws {
        while position.isBehind(target), !Task.isCancelled, !Task.isShuttingDownGracefully {
            settings.counters.update { $0.catchUpReads += 1 }
            let items = try await StreamFeed.items(store: store, workspaceId: workspaceId, after: position, upTo: target)
            // Nothing between here and the target: the position names seqs of no item.
            guard !items.isEmpty else { return }
            for item in items {
                position.advance(past: item)
                try await writer.write(StreamFeed.message(type: item.type, id: position, data: item.data))
            }
            try await writer.write(StreamFeed.message(type: "balance", id: position, data: try await StreamFeed.balance(store: store, workspaceId: workspaceId)))
        }
    }
}
