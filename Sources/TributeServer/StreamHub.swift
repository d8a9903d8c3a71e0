import TributeCore
import TributeStore

/// The live streams of one application: one reader per watched workspace, fanned out to
/// every stream of that workspace, and the caps on open streams.
///
/// While a workspace has at least one stream, its reader polls the store once per
/// `pollMillis` (events after its position, decisions after its position, then the
/// balance when anything changed) and hands the changes to each stream's buffer. The
/// reader starts with the first stream and stops when the last one leaves. Each stream's
/// buffer keeps the newest `bufferedMessages`; a stream that falls further behind sees a gap
/// between its position and the next change's `from` and reads the gap from the store
/// itself (see `LiveStream`), so a slow client costs its own reads but never misses a
/// message, and memory stays bounded.
actor StreamHub<Store: TributeStore> {
    /// Messages a stream's buffer holds before the oldest are dropped.
    static var bufferedMessages: Int { 32 }

    /// A stream's place in a workspace's feed.
    struct Subscription: Sendable {
        let workspaceId: String
        let id: UInt64
        let messages: AsyncStream<FeedMessage>
        /// Finishing it ends `messages` (server shutdown).
        let continuation: AsyncStream<FeedMessage>.Continuation
        /// Where the reader is: the next change starts here. `nil` while the reader is
        /// starting; its first message is then an empty change at its position.
        let readerPosition: StreamPosition?
    }

    private struct Reader {
        let generation: UInt64
        var streams: [UInt64: AsyncStream<FeedMessage>.Continuation] = [:]
        var position: StreamPosition?
        var task: Task<Void, Never>?
    }

    nonisolated let store: Store
    nonisolated let settings: LiveStreamSettings
    nonisolated let slots: StreamSlots
    private var readers: [String: Reader] = [:]
    private var lastId: UInt64 = 0

    init(store: Store, settings: LiveStreamSettings) {
        self.store = store
        self.settings = settings
        self.slots = StreamSlots(maxPerKey: settings.maxPerKey, maxOpen: settings.maxOpen, counters: settings.counters)
    }

    /// Adds a stream to `workspaceId`'s reader, starting the reader if it is the first.
    func subscribe(workspaceId: String) -> Subscription {
        let (messages, continuation) = AsyncStream.makeStream(of: FeedMessage.self, bufferingPolicy: .bufferingNewest(Self.bufferedMessages))
        lastId += 1
        let id = lastId
        var reader = readers[workspaceId] ?? Reader(generation: id)
        reader.streams[id] = continuation
        if reader.task == nil {
            let generation = reader.generation
            reader.task = Task { await self.read(workspaceId: workspaceId, generation: generation) }
            settings.counters.update {
                $0.startedReaders += 1
                $0.runningReaders += 1
            }
        }
        readers[workspaceId] = reader
        return Subscription(workspaceId: workspaceId, id: id, messages: messages, continuation: continuation, readerPosition: reader.position)
    }

    /// Removes a stream; the last one out stops the reader.
    func unsubscribe(_ subscription: Subscription) {
        subscription.continuation.finish()
        guard var reader = readers[subscription.workspaceId], reader.streams.removeValue(forKey: subscription.id) != nil else { return }
        if reader.streams.isEmpty {
            stop(subscription.workspaceId)
        } else {
            readers[subscription.workspaceId] = reader
        }
    }

    private func stop(_ workspaceId: String) {
        guard let reader = readers.removeValue(forKey: workspaceId) else { return }
        reader.task?.cancel()
        for stream in reader.streams.values { stream.finish() }
        settings.counters.update { $0.runningReaders -= 1 }
    }

    /// Hands `message` to every stream of the reader `generation` of `workspaceId`.
    /// - Returns: `false` when that reader was stopped (its task should end).
    private func publish(_ message: FeedMessage, workspaceId: String, generation: UInt64) -> Bool {
        guard var reader = readers[workspaceId], reader.generation == generation else { return false }
        for stream in reader.streams.values { stream.yield(message) }
        if case .changes(let changes) = message {
            reader.position = changes.to
            readers[workspaceId] = reader
        }
        return true
    }

    /// Ends every stream of a reader whose database reads failed: their clients reconnect
    /// and resume, and a new reader starts.
    private func fail(workspaceId: String, generation: UInt64) {
        guard readers[workspaceId]?.generation == generation else { return }
        stop(workspaceId)
    }

    /// The reader's loop: from the workspace's newest position, poll, publish, repeat.
    private nonisolated func read(workspaceId: String, generation: UInt64) async {
        let settings = self.settings
        do {
            var position = try await store.streamPosition(workspaceId: workspaceId)
            guard await publish(.changes(FeedChanges(from: position, items: [], balance: nil)), workspaceId: workspaceId, generation: generation) else { return }
            var lastTick = ContinuousClock.now
            var caughtUp = true
            while !Task.isCancelled {
                if caughtUp { try await Task.sleep(for: .milliseconds(settings.pollMillis)) }
                settings.counters.update { $0.readerPolls += 1 }
                let items = try await StreamFeed.items(store: store, workspaceId: workspaceId, after: position)
                caughtUp = items.count < StreamFeed.batch
                if !items.isEmpty {
                    let balance = try await StreamFeed.balance(store: store, workspaceId: workspaceId)
                    let changes = FeedChanges(from: position, items: items, balance: balance)
                    position = changes.to
                    guard await publish(.changes(changes), workspaceId: workspaceId, generation: generation) else { return }
                }
                if ContinuousClock.now - lastTick >= .milliseconds(settings.keyCheckMillis) {
                    lastTick = ContinuousClock.now
                    guard await publish(.tick, workspaceId: workspaceId, generation: generation) else { return }
                }
            }
        } catch {
            await fail(workspaceId: workspaceId, generation: generation)
        }
    }
}
