import TributeCore

/// The real time, read from the system's realtime clock in whole milliseconds.
public struct SystemClock: WallClock {
    public init() {}

    public func nowMillis() -> Int64 { Identifier.currentMillis() }
}

/// A clock that tests set by hand.
public final class ManualClock: WallClock, @unchecked Sendable {
    private let lock = Lock()
    private var millis: Int64

    public init(millis: Int64) { self.millis = millis }

    public func nowMillis() -> Int64 { lock.withLock { millis } }

    public func set(millis: Int64) { lock.withLock { self.millis = millis } }

    public func advance(seconds: Int64) { lock.withLock { millis += seconds * 1000 } }
}
