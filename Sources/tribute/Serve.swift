import ArgumentParser
import Foundation
import Hummingbird
import Logging
import TributePayments
import TributeServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP API.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one).") var port = 8080
    @OptionGroup var options: DatabaseOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
    }

    func run() async throws {
        var logger = Logger(label: "tribute")
        logger.logLevel = .info
        let url = DatabaseURL.resolve(options.database)
        let opened = try await DatabaseURL.open(url)
        let host = self.host
        let shown = DatabaseURL.redacted(url)
        let stripe = StripeConfiguration.fromEnvironment(ProcessInfo.processInfo.environment)
        if let stripe {
            logger.info("payments on", metadata: ["stripe_api_base": "\(stripe.apiBase)", "webhook_secret": "\(stripe.webhookSecret == nil ? "unset" : "set")"])
        } else {
            logger.info("payments off: STRIPE_SECRET_KEY is not set")
        }
        let app = buildApplication(store: opened.store, stripe: stripe, host: host, port: port, services: opened.services, logger: logger) { boundPort in
            // Written straight to the descriptor so that a pipe sees it at once.
            let line = "tribute listening on http://\(host):\(boundPort) (database \(shown))\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        try await app.runService()
    }
}
