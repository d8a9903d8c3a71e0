import ArgumentParser

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the database schema.")

    @OptionGroup var options: DatabaseOptions

    func run() async throws {
        let url = DatabaseURL.resolve(options.database)
        try await DatabaseURL.withStore(url) { _ in }
        print("migrated \(DatabaseURL.redacted(url))")
    }
}
