import TributeCore

/// The caps on open live streams: at most `maxPerKey` per API key and `maxOpen` in all.
///
/// Taking and giving back a slot happen under one lock, so the count is exact however many
/// streams open and close at once. A slot is given back when its stream ends, and also when
/// the `StreamSlot` is released without its stream ever running (the response was dropped
/// before its body was written), so no path leaks one.
final class StreamSlots: @unchecked Sendable {
    /// Which cap a refused stream hit.
    enum Refusal: Error, Equatable {
        case keyFull(max: Int)
        case serverFull(max: Int)
    }

    let maxPerKey: Int
    let maxOpen: Int
    private let counters: LiveStreamCounters
    private let lock = Lock()
    // Guarded by `lock`.
    private var openByKey: [String: Int] = [:]
    private var openTotal = 0

    init(maxPerKey: Int, maxOpen: Int, counters: LiveStreamCounters) {
        self.maxPerKey = maxPerKey
        self.maxOpen = maxOpen
        self.counters = counters
    }

    /// A slot for one more stream of `keyId`.
    /// - Throws: `Refusal` when the key or the server is at its cap.
    func acquire(keyId: String) throws(Refusal) -> StreamSlot {
        let outcome: Result<Int, Refusal> = lock.withLock {
            let ofKey = openByKey[keyId, default: 0]
            guard ofKey < maxPerKey else { return .failure(.keyFull(max: maxPerKey)) }
            guard openTotal < maxOpen else { return .failure(.serverFull(max: maxOpen)) }
            openByKey[keyId] = ofKey + 1
            openTotal += 1
            return .success(openTotal)
        }
        let total = try outcome.get()
        counters.update { $0.openStreams = total }
        return StreamSlot(slots: self, keyId: keyId)
    }

    fileprivate func release(keyId: String) {
        let total: Int = lock.withLock {
            let ofKey = openByKey[keyId, default: 0]
            assert(ofKey > 0 && openTotal > 0, "a stream slot given back twice")
            openByKey[keyId] = ofKey > 1 ? ofKey - 1 : nil
            openTotal -= 1
            return openTotal
        }
        counters.update { $0.openStreams = total }
    }
}

/// One open stream's place under the caps; given back once, by `release()` or at the latest
/// when the last reference to it goes.
final class StreamSlot: @unchecked Sendable {
    private let slots: StreamSlots
    let keyId: String
    private let lock = Lock()
    // Guarded by `lock`.
    private var released = false

    fileprivate init(slots: StreamSlots, keyId: String) {
        self.slots = slots
        self.keyId = keyId
    }

    func release() {
        let first = lock.withLock {
            defer { released = true }
            return !released
        }
        if first { slots.release(keyId: keyId) }
    }

    deinit { release() }
}
