import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, for the tests that run the `tribute`
/// executable. Foundation's `Process.run()` on Linux reads `/proc/self/fd` with a 256-byte
/// copy of each entry's name that can run past glibc's buffer and crash the whole test run,
/// now and then (swift-corelibs-foundation#5472); this does not read that directory at all.
///
/// The names follow `Process` (`isRunning`, `terminate()`, `waitUntilExit()`,
/// `terminationStatus`), so the tests read the same.
public final class ChildProcess: @unchecked Sendable {
    public let processIdentifier: pid_t
    private let lock = NSLock()
    // Guarded by `lock`: the wait status, once the child was reaped.
    private var waitStatus: Int32?

    /// Starts `executable` with `arguments` and `environment` (this process's when `nil`).
    /// Standard output and error go to the files at `output` and `error` (created, appended
    /// to; the same path for both shares one file), or stay this process's when `nil`.
    /// Standard input is `/dev/null`; no other descriptor of this process is inherited.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, output: String? = nil, error: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let flags = O_WRONLY | O_CREAT | O_APPEND
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let output { posix_spawn_file_actions_addopen(&actions, 1, output, flags, 0o644) }
        if let error {
            if error == output {
                posix_spawn_file_actions_adddup2(&actions, 1, 2)
            } else {
                posix_spawn_file_actions_addopen(&actions, 2, error, flags, 0o644)
            }
        }
        // A server that inherited a test's socket or pipe would keep it open.
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let variables = environment ?? ProcessInfo.processInfo.environment
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid = pid_t()
        let status = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard status == 0 else { throw SpawnFailed(executable: executable, errno: status) }
        processIdentifier = pid
    }

    public struct SpawnFailed: Error, CustomStringConvertible {
        public let executable: String
        public let errno: Int32
        public var description: String { "could not start \(executable): \(String(cString: strerror(errno)))" }
    }

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34 and later), which Swift's
    /// Glibc module does not declare.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    nonisolated(unsafe) private static let addCloseFrom: AddCloseFrom? =
        dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: AddCloseFrom.self) }

    public var isRunning: Bool { lock.withLock { reap() == nil } }

    /// Waits for the child to exit.
    public func waitUntilExit() {
        while isRunning { usleep(10_000) }
    }

    /// `SIGTERM`.
    public func terminate() { kill(processIdentifier, SIGTERM) }

    /// The exit code, or the number of the signal that ended the child; 0 while it runs.
    public var terminationStatus: Int32 {
        guard let status = lock.withLock({ reap() }) else { return 0 }
        return status & 0x7F == 0 ? (status >> 8) & 0xFF : status & 0x7F
    }

    /// The wait status once the child has exited (reaping it), `nil` while it runs. Under `lock`.
    private func reap() -> Int32? {
        if let waitStatus { return waitStatus }
        var status: Int32 = 0
        while true {
            let result = waitpid(processIdentifier, &status, WNOHANG)
            if result == processIdentifier {
                waitStatus = status
                return status
            }
            if result == 0 { return nil }
            if errno == EINTR { continue }
            // Not a child any more (reaped elsewhere): gone, status unknown.
            waitStatus = 0xFF << 8
            return waitStatus
        }
    }
}
