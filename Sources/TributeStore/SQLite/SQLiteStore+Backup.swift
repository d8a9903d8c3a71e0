import Foundation
import GRDB
import TributeCore

extension SQLiteStore {
    /// Copies the database to `path` through SQLite's online backup API, while the store
    /// (and any other process on the file) keeps writing: the copy is the database as one
    /// read transaction saw it, so every ledger rule that held then holds in the copy.
    ///
    /// The pages go to a temporary file beside `path`, which is synced and then renamed, so
    /// `path` never names a half-written copy; an existing file is never replaced.
    /// - Returns: the copy's size in bytes.
    /// - Throws: `TributeError.invalidValue` when `path` exists or its directory does not.
    public func backup(toPath path: String) throws -> Int64 {
        let manager = FileManager.default
        let target = URL(fileURLWithPath: path).standardizedFileURL
        let directory = target.deletingLastPathComponent()
        guard !manager.fileExists(atPath: target.path) else {
            throw TributeError.invalidValue("\(target.path) exists; a backup never replaces a file")
        }
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TributeError.invalidValue("the directory \(directory.path) does not exist")
        }
        let partial = directory.appendingPathComponent(".\(target.lastPathComponent).partial-\(Identifier.randomBase62(count: 8))")
        defer { try? manager.removeItem(at: partial) }
        let destination = try DatabaseQueue(path: partial.path)
        try pool.backup(to: destination)
        // Back to a single file: the copy needs no -wal beside it to be whole.
        try destination.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
        try destination.close()
        try Self.sync(partial.path)
        try manager.moveItem(at: partial, to: target)
        try Self.sync(directory.path)
        let size = (try manager.attributesOfItem(atPath: target.path)[.size] as? NSNumber)?.int64Value ?? 0
        return size
    }

    /// fsync of a file or directory: the copy (and its name) survive a crash right after.
    private static func sync(_ path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw TributeError.invalidValue("cannot open \(path) to sync it") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw TributeError.invalidValue("cannot sync \(path)") }
    }
}
