import Foundation
import GRDB
import TributeCore

/// Why `SQLiteStore.backup` made no copy, in words for the operator.
public struct BackupFailure: Error, CustomStringConvertible {
    public let description: String
}

extension SQLiteStore {
    /// Copies the database at `databasePath` to `path` through SQLite's online backup API,
    /// while servers keep writing it: the copy is the database as one read transaction saw
    /// it, so every ledger rule that held then holds in the copy. The source is opened read
    /// only, never migrated or written.
    ///
    /// The pages go to a temporary file in `path`'s directory, which is synced and then
    /// renamed, so `path` never names a half-written copy; nothing that exists at `path`
    /// (a file, a directory, a link) is ever replaced.
    /// - Returns: where the copy is, with links and `..` resolved, and its size in bytes.
    /// - Throws: `BackupFailure`.
    public static func backup(databasePath: String, toPath path: String) throws -> (path: String, bytes: Int64) {
        let manager = FileManager.default
        guard manager.fileExists(atPath: databasePath) else { throw BackupFailure(description: "no database at \(databasePath)") }
        let named = URL(fileURLWithPath: path)
        guard !path.hasSuffix("/"), !named.lastPathComponent.isEmpty, named.lastPathComponent != "..", named.lastPathComponent != "." else {
            throw BackupFailure(description: "\(path) does not name a file")
        }
        // The directory as the file system resolves it, so the path printed is the path written.
        let directory = named.deletingLastPathComponent().resolvingSymlinksInPath()
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw BackupFailure(description: "the directory \(directory.path) does not exist")
        }
        let target = directory.appendingPathComponent(named.lastPathComponent)
        var status = stat()
        guard lstat(target.path, &status) != 0 else {
            throw BackupFailure(description: "\(target.path) exists; a backup never replaces anything")
        }
        // A name of fixed length, whatever the target's: a legal target name stays legal.
        let partial = directory.appendingPathComponent(".tribute-backup-\(Identifier.randomBase62(count: 12)).partial")
        defer { try? manager.removeItem(at: partial) }
        do {
            var configuration = Configuration()
            configuration.readonly = true
            let source = try DatabaseQueue(path: databasePath, configuration: configuration)
            let destination = try DatabaseQueue(path: partial.path)
            try source.backup(to: destination)
            // Back to a single file: the copy needs no -wal beside it to be whole.
            try destination.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
            try destination.close()
            try source.close()
            try sync(partial.path)
        } catch let error as BackupFailure {
            throw error
        } catch {
            throw BackupFailure(description: "cannot copy \(databasePath) to \(directory.path): \(error)")
        }
        do {
            try manager.moveItem(at: partial, to: target)
        } catch {
            throw BackupFailure(description: "cannot name the copy \(target.path) (did something appear there meanwhile?)")
        }
        do {
            try sync(directory.path)
        } catch {
            throw BackupFailure(description: "the copy is at \(target.path), but its directory could not be synced: a crash now could lose its name")
        }
        let bytes = (try manager.attributesOfItem(atPath: target.path)[.size] as? NSNumber)?.int64Value ?? 0
        return (target.path, bytes)
    }

    /// fsync of a file or directory: the copy (and its name) survive a crash right after.
    private static func sync(_ path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw BackupFailure(description: "cannot open \(path) to sync it") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw BackupFailure(description: "cannot sync \(path)") }
    }
}
