import ArgumentParser

struct Ledger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check the ledger.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Prove every ledger rule holds; exit non-zero with the first broken rule otherwise.")

        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            let report = try await DatabaseURL.withStore(DatabaseURL.resolve(options.database)) { try await $0.verifyLedger() }
            let summary = "\(report.accounts) accounts, \(report.transactions) transactions, \(report.postings) postings, \(report.decisions) decisions"
            if let violation = report.firstViolation {
                print("ledger verify: FAILED: \(violation) (\(summary))")
                throw ExitCode(1)
            }
            print("ledger verify: ok: \(summary); every transaction sums to zero, balances equal their postings, no workspace account is negative, wallets equal their grants, the decision hash chain is intact")
        }
    }
}
