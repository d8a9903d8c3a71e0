import ArgumentParser
import TributeCore

struct Ledger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check the ledger.", subcommands: [Verify.self, Checkpoint.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Prove every ledger rule holds; exit non-zero with the first broken rule otherwise.")

        @OptionGroup var options: DatabaseOptions

        @Option(name: .customLong("checkpoint"), help: "A checkpoint digest (from `tribute ledger checkpoint`) whose heads must still be in the chains; repeatable.")
        var checkpoints: [String] = []

        func validate() throws {
            for digest in checkpoints where digest.utf8.count != 64 || !digest.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) {
                throw ValidationError("A checkpoint digest is 64 lowercase hex characters; got \"\(digest.prefix(80))\"")
            }
        }

        func run() async throws {
            let report = try await DatabaseURL.withStore(DatabaseURL.resolve(options.database)) { try await $0.verifyLedger(checkpoints: checkpoints) }
            let summary = "\(report.accounts) accounts, \(report.transactions) transactions, \(report.postings) postings, \(report.decisions) decisions"
            if let violation = report.firstViolation {
                print("ledger verify: FAILED: \(violation) (\(summary))")
                throw ExitCode(1)
            }
            let proven = report.checkpoints.isEmpty ? "" : ", and \(report.checkpoints.count) checkpoint(s) still hold"
            print("ledger verify: ok: \(summary); every transaction sums to zero, balances equal their postings, no workspace account is negative, wallets equal their grants, no allowance passes its plan, every transaction moves what its decision records, every workspace's decision chain is intact up to its stored head\(proven)")
        }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record every decision chain's head; print one line ending with the digest to keep elsewhere.")

        @OptionGroup var options: DatabaseOptions

        func run() async throws {
            let checkpoint = try await DatabaseURL.withStore(DatabaseURL.resolve(options.database)) { try await $0.recordCheckpoint() }
            print("ledger checkpoint: \(checkpoint.heads.count) chains at \(checkpoint.createdAtMillis) ms; digest \(checkpoint.digest)")
        }
    }
}
