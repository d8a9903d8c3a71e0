import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import TributeCore
import TributeStore

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
/// server shuts down, the database fails, the key is revoked, or after
/// `maxDurationSeconds` (the client reconnects and resumes).
///
/// Catching up is bounded: a stream replays at most `maxReplayItems` events and decisions
/// from the store. A resume (or a gap) reaching back further gets a `reset` message and the
/// balances now instead, and goes on from now. Each page a catch-up reads takes a token
/// from the caller's rate limit (`ReplayCharge`); while the key's bucket is empty, the
/// catch-up waits for the next token.
///
/// A watchdog beside the writes checks the caller and the deadline every `keyCheckMillis`,
/// whatever the writes are doing: a client that stops reading blocks the stream's writes
/// (TCP backpressure) and would otherwise hold its slot, and receive what is written after
/// its key was revoked once it reads again. When a check fails the stream stops writing;
/// if it has not ended one interval later — a write its client does not take — the
/// watchdog closes the connection, which fails that write and gives the slot back.
struct LiveStream<Store: TributeStore>: Sendable {
    let hub: StreamHub<Store>
    let workspaceId: String
    let start: StreamPosition
    /// The position the client asked to resume from when it was too far back to replay:
    /// the stream then starts at `start` (now) with a `reset` message.
    let resetFrom: StreamPosition?
    /// Whether the caller may still watch the workspace: its key is not revoked, nor its
    /// dashboard session ended.
    let isAuthorized: @Sendable () async -> Bool
    /// What each page of catching up takes from the caller's rate limit.
    let charge: ReplayCharge
    /// The connection the stream is written to; the watchdog closes it.
    let channel: any Channel

    var store: Store { hub.store }
    var settings: LiveStreamSettings { hub.settings }

    /// The stream of `workspaceId` as a response, from the position in `Last-Event-ID` or
    /// `?after=` (a reconnecting client, or a page rendered at that position), else from now.
    /// A position more than `maxReplayItems` behind the newest starts the stream now, with
    /// a `reset` message. `charge` is what each page of catching up takes from the caller.
    /// - Throws: 422 for a position this stream never sent (malformed, or ahead of the
    ///   workspace's newest), 404 for an unknown workspace, `429 too_many_streams` when
    ///   `keyId` or the server holds as many streams as allowed.
    static func response(
        hub: StreamHub<Store>, workspaceId: String, keyId: String, request: Request, context: TributeContext,
        charge: ReplayCharge, isAuthorized: @escaping @Sendable () async -> Bool
    ) async throws -> Response {
        var resume: StreamPosition?
        if let text = request.headers[.lastEventID] ?? request.uri.queryParameters.get("after").map({ String($0) }) {
            guard let parsed = StreamPosition(parsing: text) else {
                throw APIError.invalid("Last-Event-ID (or after) must be an id this stream sent, such as 12-345")
            }
            resume = parsed
        }
        let now = try await hub.store.streamPosition(workspaceId: workspaceId)
        // A position past the newest was never sent: following it, the stream would wait
        // for its seqs and stay silent for good.
        if let resume, now.isBehind(resume) {
            throw APIError.invalid("Last-Event-ID (or after) is ahead of this workspace's stream; it must be an id this stream sent")
        }
        let slot: StreamSlot
        do {
            slot = try hub.slots.acquire(keyId: keyId)
        } catch {
            throw LiveStream.tooManyStreams(error)
        }
        // Counted once the slot is held, so refused streams cost no read; by index only.
        var resetFrom: StreamPosition?
        if let resume, resume.isBehind(now),
           try await hub.store.streamBacklog(workspaceId: workspaceId, after: resume, upTo: now, limit: hub.settings.maxReplayItems + 1) > hub.settings.maxReplayItems {
            resetFrom = resume
        }
        let stream = LiveStream(hub: hub, workspaceId: workspaceId, start: resetFrom == nil ? resume ?? now : now, resetFrom: resetFrom,
                                isAuthorized: isAuthorized, charge: charge, channel: context.channel)
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
        let watch = StreamWatch(deadline: .now + .seconds(settings.maxDurationSeconds))
        defer { watch.ended(settings.counters) }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await watchdog(watch, subscription) }
                defer { group.cancelAll() }
                try await withGracefulShutdownHandler {
                    try await follow(subscription, watch, &writer)
                } onGracefulShutdown: {
                    subscription.continuation.finish()
                }
                // From here on nothing is left to write but the end, and the watchdog cuts
                // that too if the client does not take it.
                watch.stop()
                await hub.unsubscribe(subscription)
                try await writer.finish(nil)
            }
        } catch {
            await hub.unsubscribe(subscription)
            throw error
        }
    }

    /// Every `keyCheckMillis`, independent of the writes: the caller, the deadline and
    /// shutdown; on a failed check, stop the stream, and close its connection if it has not
    /// ended one interval later.
    private func watchdog(_ watch: StreamWatch, _ subscription: StreamHub<Store>.Subscription) async {
        let interval = Duration.milliseconds(settings.keyCheckMillis)
        while true {
            do { try await Task.sleep(for: interval) } catch { return }
            watch.checkStall(longerThan: interval, settings.counters)
            if watch.isOpen, !Task.isShuttingDownGracefully, await isAuthorized() { continue }
            watch.stop()
            // Wakes a stream waiting for the reader; one in a write sees the stop after it.
            subscription.continuation.finish()
            do { try await Task.sleep(for: interval) } catch { return }
            // Still not ended: a write (or the end) that its client does not take.
            settings.counters.update { $0.cutStreams += 1 }
            channel.close(promise: nil)
            return
        }
    }

    /// Raised by a write of a stream that must end: unwinds to `follow`, which ends cleanly.
    private struct Stopped: Error {}

    /// Writes the stream until its end: the first balance, any catching up, then the
    /// reader's changes.
    private func follow(_ subscription: StreamHub<Store>.Subscription, _ watch: StreamWatch, _ writer: inout any ResponseBodyWriter) async throws {
        do {
            var position = start
            try await write(ByteBuffer(string: "retry: 2000\n\n"), watch, &writer)
            if let resetFrom {
                settings.counters.update { $0.replayResets += 1 }
                try await write(StreamFeed.message(type: "reset", id: position, data: reset(from: resetFrom, to: position)), watch, &writer)
            }
            try await write(StreamFeed.message(type: "balance", id: position, data: try await StreamFeed.balance(store: store, workspaceId: workspaceId)), watch, &writer)
            if let readerPosition = subscription.readerPosition {
                try await catchUp(to: readerPosition, from: &position, watch, &writer)
            }
            var lastWrite = ContinuousClock.now
            for await message in subscription.messages {
                guard watch.isOpen, !Task.isShuttingDownGracefully else { return }
                switch message {
                case .changes(let changes):
                    if position.isBehind(changes.from) {
                        try await catchUp(to: changes.from, from: &position, watch, &writer)
                    }
                    if try await apply(changes, at: &position, watch, &writer) { lastWrite = ContinuousClock.now }
                case .tick:
                    if ContinuousClock.now - lastWrite >= .seconds(settings.keepAliveSeconds) {
                        try await write(ByteBuffer(string: ": keep-alive\n\n"), watch, &writer)
                        lastWrite = ContinuousClock.now
                    }
                }
            }
        } catch is Stopped {
            return
        }
    }

    /// One write, if the stream may still write; the watchdog sees how long it takes.
    private func write(_ bytes: ByteBuffer, _ watch: StreamWatch, _ writer: inout any ResponseBodyWriter) async throws {
        guard watch.isOpen else { throw Stopped() }
        watch.writing(true)
        defer { watch.writing(false) }
        try await writer.write(bytes)
    }

    /// Writes what the reader read, skipping what this stream has already sent.
    /// - Returns: whether anything was written.
    private func apply(_ changes: FeedChanges, at position: inout StreamPosition, _ watch: StreamWatch, _ writer: inout any ResponseBodyWriter) async throws -> Bool {
        if position == changes.from {
            // The usual case: the messages as the reader formatted them.
            guard changes.bytes.readableBytes > 0 else { return false }
            try await write(changes.bytes, watch, &writer)
            position = changes.to
            return true
        }
        var wrote = false
        for item in changes.items where !position.includes(item) {
            try await write(StreamFeed.message(type: item.type, id: position.advanced(past: item), data: item.data), watch, &writer)
            position.advance(past: item)
            wrote = true
        }
        if wrote, let balance = changes.balance {
            try await write(StreamFeed.message(type: "balance", id: position, data: balance), watch, &writer)
        }
        return wrote
    }

    /// Reads and writes what lies between `position` and `target` from the store, a batch
    /// at a time, each batch followed by the balance. The caller is checked before each
    /// batch: a long catch-up writes nothing past a revocation. Each batch takes a token
    /// from the caller's rate limit, waiting for one while there is none. A gap of more
    /// than `maxReplayItems` is not read: the stream writes `reset` and the balance, and
    /// goes on from `target`.
    private func catchUp(to target: StreamPosition, from position: inout StreamPosition, _ watch: StreamWatch, _ writer: inout any ResponseBodyWriter) async throws {
        guard position.isBehind(target) else { return }
        let backlog = try await store.streamBacklog(workspaceId: workspaceId, after: position, upTo: target, limit: settings.maxReplayItems + 1)
        if backlog > settings.maxReplayItems {
            settings.counters.update { $0.replayResets += 1 }
            try await write(StreamFeed.message(type: "reset", id: target, data: reset(from: position, to: target)), watch, &writer)
            position = target
            try await write(StreamFeed.message(type: "balance", id: position, data: try await StreamFeed.balance(store: store, workspaceId: workspaceId)), watch, &writer)
            return
        }
        while position.isBehind(target), !Task.isCancelled, !Task.isShuttingDownGracefully {
            guard watch.isOpen, await isAuthorized() else { throw Stopped() }
            try await takeReplayToken(watch)
            settings.counters.update { $0.catchUpReads += 1 }
            let items = try await StreamFeed.items(store: store, workspaceId: workspaceId, after: position, upTo: target)
            // Nothing between here and the target: the position names seqs of no item.
            guard !items.isEmpty else { return }
            for item in items {
                try await write(StreamFeed.message(type: item.type, id: position.advanced(past: item), data: item.data), watch, &writer)
                position.advance(past: item)
            }
            try await write(StreamFeed.message(type: "balance", id: position, data: try await StreamFeed.balance(store: store, workspaceId: workspaceId)), watch, &writer)
        }
    }
}

extension LiveStream {
    /// The `reset` message's data: what was not replayed, and where the stream goes on.
    func reset(from: StreamPosition, to: StreamPosition) -> String {
        JSON.object([
            "workspaceId": .string(workspaceId), "reason": .string("replay_limit"), "from": .string(from.description),
            "to": .string(to.description), "maxReplayItems": .number(String(settings.maxReplayItems)),
        ]).serialized
    }

    /// Takes a token for one page of catching up; while the key's bucket is empty, waits
    /// (at most a re-check interval at a time, so a stop is seen) and tries again.
    fileprivate func takeReplayToken(_ watch: StreamWatch) async throws {
        while let retryAfterSeconds = charge.take() {
            settings.counters.update { $0.replayWaits += 1 }
            try await Task.sleep(for: .milliseconds(min(max(retryAfterSeconds, 1) * 1_000, settings.keyCheckMillis)))
            guard watch.isOpen, !Task.isShuttingDownGracefully else { throw Stopped() }
        }
    }
}

/// What a stream's catch-up takes from its caller for each page it reads from the store:
/// a token of the key's rate limit, as a call would (`RateLimiter`).
struct ReplayCharge: Sendable {
    /// Takes a token: `nil` when one was taken (or the key is not limited), else the whole
    /// seconds until the bucket holds one.
    let take: @Sendable () -> Int64?

    /// Pages from `principal`'s bucket in `limiter`: the one its calls take from.
    static func tokens(of principal: Principal, from limiter: RateLimiter) -> ReplayCharge {
        ReplayCharge {
            do {
                try limiter.take(principal)
                return nil
            } catch {
                return (error as? APIError)?.headers[.retryAfter].flatMap(Int64.init) ?? 1
            }
        }
    }
}

extension StreamPosition {
    func advanced(past item: StreamItem) -> StreamPosition {
        var next = self
        next.advance(past: item)
        return next
    }
}

/// What a stream's writes and its watchdog share: whether the stream must stop, and
/// since when its current write has waited.
final class StreamWatch: @unchecked Sendable {
    let deadline: ContinuousClock.Instant
    private let lock = Lock()
    // Guarded by `lock`.
    private var stopped = false
    private var writeStarted: ContinuousClock.Instant?
    private var countedStalled = false

    init(deadline: ContinuousClock.Instant) { self.deadline = deadline }

    /// Neither stopped nor past the deadline.
    var isOpen: Bool { lock.withLock { !stopped } && ContinuousClock.now < deadline }

    func stop() { lock.withLock { stopped = true } }

    func writing(_ started: Bool) {
        lock.withLock { writeStarted = started ? ContinuousClock.now : nil }
    }

    /// Counts the stream in `stalledStreams` while a write has waited `longerThan`.
    func checkStall(longerThan interval: Duration, _ counters: LiveStreamCounters) {
        let change: Int = lock.withLock {
            let stalled = writeStarted.map { ContinuousClock.now - $0 >= interval } ?? false
            guard stalled != countedStalled else { return 0 }
            countedStalled = stalled
            return stalled ? 1 : -1
        }
        if change != 0 { counters.update { $0.stalledStreams += change } }
    }

    /// The stream is over: it is no longer counted as stalled.
    func ended(_ counters: LiveStreamCounters) {
        let was = lock.withLock {
            defer { countedStalled = false }
            return countedStalled
        }
        if was { counters.update { $0.stalledStreams -= 1 } }
    }
}
