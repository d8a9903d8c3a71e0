import ArgumentParser
import Foundation
import TributeCore
import TributeStore

/// `tribute backup PATH`: a consistent online copy of the SQLite database, taken while the
/// server runs (docs/operations.md). PostgreSQL has `pg_dump` for that.
struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the SQLite database to PATH while it is in use (a consistent snapshot); verify it with `tribute ledger verify --database sqlite:PATH`.")

    @OptionGroup var options: DatabaseOptions
    @Argument(help: "Where to write the copy; an existing file is never replaced.") var path: String

    func validate() throws {
        guard !path.isEmpty else { throw ValidationError("PATH must name a file") }
    }

    func run() async throws {
        let url = DatabaseURL.resolve(options.database)
        guard let source = DatabaseURL.sqlitePath(url) else {
            throw ValidationError("tribute backup copies SQLite databases; back up PostgreSQL with pg_dump (see docs/operations.md)")
        }
        // Opening a missing file would create an empty database, and back that up.
        guard FileManager.default.fileExists(atPath: source) else { throw ValidationError("no database at \(source)") }
        try await DatabaseURL.withStore(url) { store in
            guard let store = store as? SQLiteStore else { return }
            do {
                let bytes = try store.backup(toPath: path)
                print("backup: \(path) (\(bytes) bytes) from \(DatabaseURL.redacted(url))")
            } catch let error as TributeError {
                throw ValidationError(error.message)
            }
        }
    }
}
