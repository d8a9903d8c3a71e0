#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import TributeCore

/// Cryptographic random bytes, read from the kernel's generator a few kilobytes at a time:
/// ids are made on the hot path, and one system call per id showed in profiles.
final class RandomPool: @unchecked Sendable {
    static let shared = RandomPool()

    private let lock = Lock()
    private var bytes = [UInt8](repeating: 0, count: 4096)
    private var next = 4096

    /// Writes `count` values into `buffer`, each from one random byte that `accept` maps
    /// to a value (or rejects with `nil`).
    func fill(_ buffer: UnsafeMutableBufferPointer<UInt8>, count: Int, accept: (UInt8) -> UInt8?) {
        lock.withLock {
            var written = 0
            while written < count {
                if next == bytes.count { refill() }
                let byte = bytes[next]
                // Each byte is used once and then forgotten.
                bytes[next] = 0
                next += 1
                if let value = accept(byte) {
                    buffer[written] = value
                    written += 1
                }
            }
        }
    }

    private func refill() {
        bytes.withUnsafeMutableBytes { raw in
            // One read of the kernel's generator per refill; `/dev/urandom` never blocks
            // once the system has booted.
            var filled = 0
            if urandom >= 0 {
                while filled < raw.count {
                    let got = read(urandom, raw.baseAddress! + filled, raw.count - filled)
                    if got > 0 { filled += got } else if got < 0 && errno == EINTR { continue } else { break }
                }
            }
            guard filled < raw.count else { return }
            var generator = SystemRandomNumberGenerator()
            for offset in stride(from: 0, to: raw.count, by: 8) {
                withUnsafeBytes(of: generator.next()) { word in
                    for index in 0..<min(8, raw.count - offset) { raw[offset + index] = word[index] }
                }
            }
        }
        next = 0
    }

    private let urandom = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
}
