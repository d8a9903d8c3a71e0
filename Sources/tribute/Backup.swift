import ArgumentParser
import Foundation
import TributeCore
import TributeStore

/// `tribute backup PATH`: a consistent online copy of the SQLite database, taken while the
/// server runs (docs/operations.md). PostgreSQL has `pg_dump` for that.
struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the SQLite database to PATH while it is in use (a consistent snapshot); verify it with `tribute ledger verify --database sqlite:PATH`.")

    @OptionGroup var options: DatabaseOptions
    @Argument(help: "Where to write the copy; nothing there is ever replaced.") var path: String

    func validate() throws {
        guard !path.isEmpty else { throw ValidationError("PATH must name a file") }
        guard DatabaseURL.sqlitePath(DatabaseURL.resolve(options.database)) != nil else {
            throw ValidationError("tribute backup copies SQLite databases; back up PostgreSQL with pg_dump (see docs/operations.md)")
        }
    }

    func run() throws {
        let url = DatabaseURL.resolve(options.database)
        guard let source = DatabaseURL.sqlitePath(url), !source.isEmpty else { throw ValidationError("sqlite: needs a file path") }
        // Read only: the live database is neither migrated nor written (a new binary may
        // back up what an older server still runs).
        let copy = try SQLiteStore.backup(databasePath: source, toPath: path)
        print("backup: \(copy.path) (\(copy.bytes) bytes) from \(DatabaseURL.redacted(url))")
    }
}
