import ArgumentParser

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or upgrade the database schema.")

    @OptionGroup var options: DatabaseOptions

    func run() async throws {
        let url = DatabaseURL.resolve(options.database)
        _ = try DatabaseURL.open(url)
        print("migrated \(url)")
    }
}
