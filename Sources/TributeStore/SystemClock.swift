#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TributeCore

/// The real time, read from the system's realtime clock in whole milliseconds.
public struct SystemClock: WallClock {
    public init() {}

    public func nowMillis() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

/// A clock that tests set by hand.
public final class ManualClock: WallClock, @unchecked Sendable {
    private let lock = NSLockLike()
    private var millis: Int64

    public init(millis: Int64) { self.millis = millis }

    public func nowMillis() -> Int64 { lock.withLock { millis } }

    public func set(millis: Int64) { lock.withLock { self.millis = millis } }

    public func advance(seconds: Int64) { lock.withLock { millis += seconds * 1000 } }
}

/// A minimal mutex, so that this file needs no Foundation.
final class NSLockLike: @unchecked Sendable {
    private var mutex = pthread_mutex_t()

    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}
