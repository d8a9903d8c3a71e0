import ArgumentParser

@main
struct Tribute: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tribute",
        abstract: "Billing for AI-agent platforms: authorize, price and debit every agent action.",
        subcommands: [Serve.self, Migrate.self, Keys.self, Ledger.self, Backup.self, Bench.self])
}

/// `--database URL`, shared by every command that opens the store.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "sqlite:PATH (default sqlite:tribute.sqlite) or postgres://...; also TRIBUTE_DATABASE_URL.")
    var database: String?
}
