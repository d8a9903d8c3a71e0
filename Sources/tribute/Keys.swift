import ArgumentParser
import TributeCore
import TributeServer

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Manage API keys.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API key and print it alone on stdout (it is shown once).")

        @Option(help: "admin, service or viewer.") var role: String
        @Option(name: .customLong("workspace"), help: "A workspace the key may act on (repeatable).") var workspaces: [String] = []
        @Option(help: "A name to recognise the key by.") var name: String?
        @OptionGroup var options: DatabaseOptions

        func validate() throws {
            guard let role = Role(rawValue: role) else { throw ValidationError("--role must be admin, service or viewer") }
            if role == .viewer && workspaces.isEmpty { throw ValidationError("a viewer key needs at least one --workspace") }
            if role == .admin && !workspaces.isEmpty { throw ValidationError("an admin key acts on every workspace; give no --workspace") }
        }

        func run() async throws {
            let role = Role(rawValue: role)!
            let (workspaces, name) = (self.workspaces, self.name)
            // The server's cap, so that the CLI refuses what `tribute serve` would.
            let maxKeys = try Serve.collectionLimits().apiKeys
            try await DatabaseURL.withStore(DatabaseURL.resolve(options.database)) { store in
                do {
                    let (_, secret) = try await store.createAPIKey(role: role, workspaceIds: workspaces, name: name, rateLimit: nil, maxKeys: maxKeys)
                    print(secret)
                } catch let error as TributeError {
                    throw ValidationError(error.message)
                }
            }
        }
    }
}
