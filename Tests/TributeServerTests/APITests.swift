import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TributeCore
import TributeStore
import TributeTestSupport
@testable import TributeServer

@Suite struct APITests {
    @Test(arguments: Backend.allCases)
    func aNewcomerGoesFromKeyToDebit(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        let admin = fixture.adminKey
        try await fixture.test { (client: any TestClientProtocol) async throws -> Void in
            var response = try await client.send(.post, "/v1/workspaces", key: admin, body: #"{"id":"acme","name":"Acme","planId":"free"}"#)
            #expect(response.status == .created)
            response = try await client.send(.post, "/v1/workspaces/acme/credit-grants", key: admin, body: #"{"amount":25.5,"note":"welcome"}"#)
            #expect(response.status == .created)
            response = try await client.send(.post, "/v1/agent-actions/authorize-and-debit", key: admin, body: #"{"workspaceId":"acme","actionType":"COMPLEX_LLM","costMultiplier":0.5,"userId":"ada","context":{"workflowId":"wf-1"}}"#)
            #expect(response.status == .ok)
            let body = try #require(response.json?.objectValue)
            #expect(body["success"] == .bool(true))
            #expect(body["reason"] == .string("APPROVED"))
            #expect(body["message"] == .string("Debit successful"))
            #expect(body["actionsCharged"] == .number("2.5"))
            #expect(body["fromAllowance"] == .number("2.5"))
            #expect(body["debitAmount"] == .number("0"))
            #expect(body["remainingAllowance"] == .number("997.5"))
            #expect(body["remainingBalance"] == .number("25.5"))
            #expect(body["transactionId"]?.stringValue?.hasPrefix("txn_") == true)
            #expect(body["decisionId"]?.stringValue?.hasPrefix("dec_") == true)
            response = try await client.send(.get, "/v1/workspaces/acme/decisions?outcome=approved", key: admin)
            #expect(response.json?.objectValue?["items"].flatMap { if case .array(let items) = $0 { items.count } else { nil } } == 1)
            response = try await client.send(.get, "/v1/workspaces/acme/usage?days=7", key: admin, headers: [("Accept", "text/csv")])
            #expect(response.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(response.text.hasPrefix("date,actions,credits\n"))
            #expect(response.text.contains(",2.5,0\n"))
        }
    }

    @Test(arguments: Backend.allCases)
    func theSameIdempotencyKeyReplaysAndADifferentBodyConflicts(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 1))
        let admin = fixture.adminKey
        try await fixture.test { (client: any TestClientProtocol) async throws -> Void in
            let body = #"{"workspaceId":"w","actionType":"SIMPLE_LLM"}"#
            let first = try await client.send(.post, "/v1/agent-actions/authorize-and-debit", key: admin, body: body, headers: [("Idempotency-Key", "k-1")])
            // Same request, other formatting: still the same request.
            let again = try await client.send(.post, "/v1/agent-actions/authorize-and-debit", key: admin, body: #"{ "actionType": "SIMPLE_LLM", "workspaceId": "w" }"#, headers: [("Idempotency-Key", "k-1")])
            #expect(first.status == .ok && again.status == .ok)
            #expect(first.text == again.text)
            #expect(first.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            let other = try await client.send(.post, "/v1/agent-actions/authorize-and-debit", key: admin, body: #"{"workspaceId":"w","actionType":"COMPLEX_LLM"}"#, headers: [("Idempotency-Key", "k-1")])
            #expect(other.status == .conflict)
            #expect(other.errorCode == "idempotency_key_reused")
        }
        #expect(try await fixture.store.workspace(id: "w").remainingBalance == Amount(micros: 900_000))
    }

    @Test(arguments: Backend.allCases)
    func keysAreScopedToTheirRoleAndWorkspaces(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("mine", credits: Amount(units: 1))
        try await fixture.workspace("theirs", credits: Amount(units: 1))
        let viewer = try await fixture.key(.viewer, ["mine"])
        let service = try await fixture.key(.service, ["mine"])
        try await fixture.test { (client: any TestClientProtocol) async throws -> Void in
            #expect(try await client.send(.get, "/v1/workspaces/mine", key: viewer).status == .ok)
            #expect(try await client.send(.get, "/v1/workspaces/theirs", key: viewer).status == .forbidden)
            #expect(try await client.send(.get, "/v1/workspaces/theirs/decisions", key: viewer).status == .forbidden)
            #expect(try await client.send(.post, "/v1/agent-actions/authorize-and-debit", key: viewer, body: #"{"workspaceId":"mine","actionType":"SIMPLE_LLM"}"#).status == .forbidden)
            #expect(try await client.send(.post, "/v1/agent-actions/authorize-and-debit", key: service, body: #"{"workspaceId":"mine","actionType":"SIMPLE_LLM"}"#).status == .ok)
            #expect(try await client.send(.post, "/v1/agent-actions/authorize-and-debit", key: service, body: #"{"workspaceId":"theirs","actionType":"SIMPLE_LLM"}"#).status == .forbidden)
            #expect(try await client.send(.get, "/v1/workspaces/theirs/budgets", key: service).status == .forbidden)
            #expect(try await client.send(.post, "/v1/workspaces", key: service, body: #"{"name":"x","planId":"free"}"#).status == .forbidden)
            #expect(try await client.send(.get, "/v1/api-keys", key: viewer).status == .forbidden)
            #expect(try await client.send(.put, "/v1/action-costs/SIMPLE_LLM", key: service, body: #"{"baseCost":9}"#).status == .forbidden)
            #expect(try await client.send(.get, "/v1/action-costs", key: viewer).status == .ok)
        }
        #expect(try await fixture.store.workspace(id: "theirs").remainingBalance == Amount(units: 1))
    }

    @Test(arguments: Backend.allCases)
    func aRevokedKeyStopsWorkingAtOnce(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        let admin = fixture.adminKey
        try await fixture.test { (client: any TestClientProtocol) async throws -> Void in
            let created = try await client.send(.post, "/v1/api-keys", key: admin, body: #"{"role":"admin","name":"temp"}"#)
            #expect(created.status == .created)
            let object = try #require(created.json?.objectValue)
            let secret = try #require(object["key"]?.stringValue)
            let id = try #require(object["id"]?.stringValue)
            #expect(try await client.send(.get, "/v1/plans", key: secret).status == .ok)
            let listed = try await client.send(.get, "/v1/api-keys", key: admin)
            #expect(!listed.text.contains(secret))
            #expect(try await client.send(.delete, "/v1/api-keys/\(id)", key: admin).status == .noContent)
            #expect(try await client.send(.get, "/v1/plans", key: secret).status == .unauthorized)
        }
    }

    @Test(arguments: Backend.allCases)
    func healthNeedsNoKeyAndEverythingElseDoes(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.test { (client: any TestClientProtocol) async throws -> Void in
            #expect(try await client.send(.get, "/healthz", key: nil).status == .ok)
            #expect(try await client.send(.get, "/readyz", key: nil).status == .ok)
            let spec = try await client.send(.get, "/openapi.yaml", key: nil)
            #expect(spec.status == .ok && spec.text.contains("/v1/agent-actions/authorize-and-debit"))
            for (method, path) in [(HTTPRequest.Method.get, "/v1/plans"), (.get, "/v1/action-costs"), (.get, "/v1/workspaces/x"), (.post, "/v1/agent-actions/authorize-and-debit"), (.get, "/v1/api-keys")] {
                let response = try await client.send(method, path, key: nil)
                #expect(response.status == .unauthorized, "\(method) \(path)")
                #expect(response.errorCode == "unauthenticated")
            }
            #expect(try await client.send(.get, "/v1/plans", key: "trb_wrong").status == .unauthorized)
            let trace = try await client.send(.trace, "/v1/plans", key: nil)
            #expect(trace.status == .methodNotAllowed)
        }
    }
}
