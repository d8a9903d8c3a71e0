import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TributeCore
import TributeStore
import TributeTestSupport
@testable import TributeServer

/// SPEC §3.5 over HTTP: a viewer of the workspace reads why a charge cost what it did; an
/// admin reverses it once; nobody else can.
@Suite struct CorrectionAPITests {
    @Test(arguments: Backend.allCases)
    func aChargeIsExplainedAndAnAdminReversesItOnce(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("acme", credits: Amount(units: 10))
        try await fixture.workspace("other", credits: Amount(units: 1))
        let admin = fixture.adminKey
        let viewer = try await fixture.key(.viewer, ["acme"])
        let outsider = try await fixture.key(.viewer, ["other"])
        let service = try await fixture.key(.service, ["acme"])
        try await fixture.test { (client: any TestClientProtocol) async throws -> Void in
            var response = try await client.send(.post, "/v1/agent-actions/authorize-and-debit", key: service,
                                                 body: #"{"workspaceId":"acme","actionType":"SIMPLE_LLM","costMultiplier":20,"userId":"ada"}"#)
            let answer = try #require(response.json?.objectValue)
            let decisionId = try #require(answer["decisionId"]?.stringValue)
            let transactionId = try #require(answer["transactionId"]?.stringValue)

            response = try await client.send(.get, "/v1/workspaces/acme/decisions/\(decisionId)", key: viewer)
            #expect(response.status == .ok)
            let explained = try #require(response.json?.objectValue)
            #expect(explained["baseCost"] == .number("1"))
            #expect(explained["costMultiplier"] == .number("20"))
            #expect(explained["debitAmount"] == .number("2"))
            #expect(explained["transaction"]?.objectValue?["id"] == .string(transactionId))
            #expect(explained["chain"]?.objectValue?["prevHash"] == .string(DecisionRecord.genesisHash))
            guard case .array(let grants)? = explained["grants"] else { Issue.record("no grants"); return }
            #expect(grants.count == 1)

            // Another workspace's viewer, and another workspace's path, see nothing.
            response = try await client.send(.get, "/v1/workspaces/acme/decisions/\(decisionId)", key: outsider)
            #expect(response.status == .forbidden)
            response = try await client.send(.get, "/v1/workspaces/other/decisions/\(decisionId)", key: admin)
            #expect(response.status == .notFound)
            #expect(response.json?.objectValue?["error"]?.objectValue?["code"] == .string("decision_not_found"))

            // Only an admin reverses, with a reason, once.
            response = try await client.send(.post, "/v1/transactions/\(transactionId)/reverse", key: service, body: #"{"reason":"refund"}"#)
            #expect(response.status == .forbidden)
            response = try await client.send(.post, "/v1/transactions/\(transactionId)/reverse", key: admin, body: #"{}"#)
            #expect(response.status == .unprocessableContent)
            response = try await client.send(.post, "/v1/transactions/\(transactionId)/reverse", key: admin, body: #"{"reason":"refund","extra":1}"#)
            #expect(response.status == .unprocessableContent || response.status == .badRequest)
            response = try await client.send(.post, "/v1/transactions/\(transactionId)/reverse", key: admin, body: #"{"reason":"agent looped"}"#)
            #expect(response.status == .ok)
            let reversal = try #require(response.json?.objectValue)
            #expect(reversal["transaction"]?.objectValue?["kind"] == .string("reversal"))
            #expect(reversal["transaction"]?.objectValue?["reverses"] == .string(transactionId))
            #expect(reversal["decision"]?.objectValue?["reason"] == .string("REVERSED"))
            response = try await client.send(.post, "/v1/transactions/\(transactionId)/reverse", key: admin, body: #"{"reason":"again"}"#)
            #expect(response.status == .conflict)
            #expect(response.json?.objectValue?["error"]?.objectValue?["code"] == .string("already_reversed"))
            response = try await client.send(.post, "/v1/transactions/txn_nope/reverse", key: admin, body: #"{"reason":"x"}"#)
            #expect(response.status == .notFound)
            response = try await client.send(.get, "/v1/workspaces/acme", key: admin)
            #expect(response.json?.objectValue?["remainingBalance"] == .number("10"))
        }
        #expect(try await fixture.store.verifyLedger().violation == nil)
    }
}
