import Dispatch
import Foundation
import TributeCore

/// Where `LineLogHandler` writes: a file descriptor (standard error), through a buffer that
/// is written out every `flushMillis`, when it holds `flushBytes`, and at once for a line
/// of level warning or above — one write for many request lines instead of one locked
/// write each. A process killed with `kill -9` loses at most the last `flushMillis` of
/// `info` lines; warnings and errors are never held back.
public final class LogSink: @unchecked Sendable {
    public static let standardError = LogSink(descriptor: 2)

    let descriptor: Int32
    let flushBytes: Int
    private let lock = Lock()
    // Guarded by `lock`.
    private var buffer: [UInt8] = []
    private var timer: DispatchSourceTimer?
    // Guarded by `lock`: the UTC second `secondText` was written for.
    private var second: Int64 = .min
    private var secondText = ""

    public init(descriptor: Int32, flushMillis: Int = 100, flushBytes: Int = 64 * 1024) {
        self.descriptor = descriptor
        self.flushBytes = flushBytes
        buffer.reserveCapacity(flushBytes)
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .utility))
        timer.schedule(deadline: .now() + .milliseconds(flushMillis), repeating: .milliseconds(flushMillis))
        timer.setEventHandler { [weak self] in self?.flush() }
        timer.resume()
        self.timer = timer
    }

    deinit { timer?.cancel() }

    /// Appends one line (`line` ends without a newline).
    func write(_ line: String, now: Bool) {
        let out: [UInt8]? = lock.withLock {
            buffer.append(contentsOf: line.utf8)
            buffer.append(UInt8(ascii: "\n"))
            guard now || buffer.count >= flushBytes else { return nil }
            defer { buffer.removeAll(keepingCapacity: true) }
            return buffer
        }
        if let out { Self.writeAll(out, to: descriptor) }
    }

    /// Writes out whatever is buffered.
    public func flush() {
        let out: [UInt8]? = lock.withLock {
            guard !buffer.isEmpty else { return nil }
            defer { buffer.removeAll(keepingCapacity: true) }
            return buffer
        }
        if let out { Self.writeAll(out, to: descriptor) }
    }

    /// `2026-11-30T16:29:07.123Z` for `millis` since the epoch: the part up to the second is
    /// formatted once a second, not once a line.
    func timestamp(millis: Int64) -> String {
        // The clock is past 1970; a negative reading is shown as the epoch.
        let millis = Swift.max(0, millis)
        let (seconds, fraction) = (millis / 1_000, millis % 1_000)
        let prefix: String = lock.withLock {
            if seconds != second {
                second = seconds
                secondText = ISOTime.format(millis: seconds * 1_000).prefix(19).description
            }
            return secondText
        }
        let digits = String(fraction)
        return prefix + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Foundation.write(descriptor, raw.baseAddress.map { $0 + offset }, raw.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return  // A log that cannot be written must not stop the server.
                }
            }
        }
    }
}
