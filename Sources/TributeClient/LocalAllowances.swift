import TributeCore

/// The calls a client allowed by itself under `.failOpen`, bounded by `maxActions`.
final class LocalAllowances: @unchecked Sendable {
    // Guarded by `lock`.
    private var actions: [UnrecordedAction] = []
    private let lock = Lock()

    /// Keeps `action` and answers `true` when fewer than `maxActions` are kept.
    func admit(_ action: UnrecordedAction, maxActions: Int) -> Bool {
        lock.withLock {
            guard actions.count < maxActions else { return false }
            actions.append(action)
            return true
        }
    }

    var current: [UnrecordedAction] { lock.withLock { actions } }

    func drain() -> [UnrecordedAction] {
        lock.withLock {
            defer { actions = [] }
            return actions
        }
    }
}
