import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// SPEC §3.7 over HTTP, on every backend: budget scopes and windows, `resetsAt`, a denial's
/// `budgetScope`, and frozen keys.
@Suite struct SpendControlAPITests {
    static let debit = "/v1/agent-actions/authorize-and-debit"

    @Test(arguments: Backend.allCases)
    func budgetsOfEveryScopeAndWindowAreSetReadAndNamedWhenTheyRefuse(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let admin = fixture.adminKey
        try await fixture.workspace("elsewhere", credits: Amount(units: 1))
        let agent = try await fixture.store.createAPIKey(role: .service, workspaceIds: ["w"], name: "agent")
        let other = try await fixture.store.createAPIKey(role: .service, workspaceIds: ["elsewhere"], name: "other")
        try await fixture.test { client in
            let put = try await client.send(.put, "/v1/workspaces/w/budgets/key:\(agent.0.id)", key: admin, body: #"{"limit":2,"unit":"actions","period":"day"}"#)
            #expect(put.status == .ok, "\(put.text)")
            let budget = try #require(put.json?.objectValue)
            #expect(budget["scope"] == .string("key:\(agent.0.id)") && budget["period"] == .string("day") && budget["remaining"] == .number("2"))
            #expect(budget["resetsAt"]?.stringValue?.hasSuffix("T00:00:00.000Z") == true)
            #expect(try await client.send(.put, "/v1/workspaces/w/budgets/workspace", key: admin, body: #"{"limit":5,"unit":"actions","period":"week"}"#).status == .ok)
            #expect(try await client.send(.put, "/v1/workspaces/w/budgets/run:r", key: admin, body: #"{"limit":5,"unit":"actions","period":"lifetime"}"#)
                .json?.objectValue?["resetsAt"] == .null)
            try await client.expectError(.put, "/v1/workspaces/w/budgets/key:key_nope", key: admin, body: #"{"limit":1,"unit":"actions","period":"day"}"#,
                                         status: 404, code: "api_key_not_found")
            try await client.expectError(.put, "/v1/workspaces/w/budgets/key:\(other.0.id)", key: admin, body: #"{"limit":1,"unit":"actions","period":"day"}"#,
                                         status: 422, code: "invalid_value")
            try await client.expectError(.put, "/v1/workspaces/w/budgets/workspace:x", key: admin, body: #"{"limit":1,"unit":"actions","period":"day"}"#,
                                         status: 422, code: "invalid_value")
            try await client.expectError(.put, "/v1/workspaces/w/budgets/workspace", key: admin, body: #"{"limit":1,"unit":"actions","period":"hour"}"#,
                                         status: 422, code: "invalid_value")
            // The agent's own key cannot lift the caps it runs under.
            for scope in ["workspace", "key:\(agent.0.id)"] {
                try await client.expectError(.put, "/v1/workspaces/w/budgets/\(scope)", key: agent.1, body: #"{"limit":1000,"unit":"actions","period":"day"}"#,
                                             status: 403, code: "forbidden")
                try await client.expectError(.delete, "/v1/workspaces/w/budgets/\(scope)", key: agent.1, body: nil, status: 403, code: "forbidden")
            }
            #expect(try await client.send(.put, "/v1/workspaces/w/budgets/run:mine", key: agent.1, body: #"{"limit":9,"unit":"actions","period":"day"}"#).status == .ok)

            for _ in 0..<2 { #expect(try await client.send(.post, Self.debit, key: agent.1, body: #"{"workspaceId":"w","actionType":"SIMPLE_LLM"}"#).json?.objectValue?["success"] == .bool(true)) }
            let refused = try await client.send(.post, Self.debit, key: agent.1, body: #"{"workspaceId":"w","actionType":"SIMPLE_LLM"}"#)
            #expect(refused.json?.objectValue?["reason"] == .string("BUDGET_EXCEEDED") && refused.json?.objectValue?["budgetScope"] == .string("key:\(agent.0.id)"))
            // Another key is held only by the workspace's week: 5 actions, 2 of them used.
            let big = try await client.send(.post, Self.debit, key: admin, body: #"{"workspaceId":"w","actionType":"SIMPLE_LLM","costMultiplier":4}"#)
            #expect(big.json?.objectValue?["budgetScope"] == .string("workspace"), "\(big.text)")
            #expect(try await client.send(.post, Self.debit, key: admin, body: #"{"workspaceId":"w","actionType":"SIMPLE_LLM","costMultiplier":3}"#)
                .json?.objectValue?["success"] == .bool(true))
            let list = try await client.send(.get, "/v1/workspaces/w/budgets", key: admin)
            let workspace = list.json?.arrayValue?.first { $0.objectValue?["scope"] == .string("workspace") }?.objectValue
            #expect(workspace?["used"] == .number("5") && workspace?["remaining"] == .number("0") && workspace?["period"] == .string("week"))
        }
    }

    @Test(arguments: Backend.allCases)
    func aFrozenKeyIsRefusedAtOnceAndWritesNothingUntilThawed(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let admin = fixture.adminKey
        let agent = try await fixture.store.createAPIKey(role: .service, workspaceIds: ["w"], name: "agent")
        let before = try await fixture.store.verifyLedger()
        try await fixture.test { client in
            let frozen = try await client.send(.patch, "/v1/api-keys/\(agent.0.id)", key: admin, body: #"{"status":"frozen"}"#)
            #expect(frozen.status == .ok && frozen.json?.objectValue?["status"] == .string("frozen"))
            let listed = try await client.send(.get, "/v1/api-keys", key: admin)
            #expect(listed.json?.arrayValue?.contains { $0.objectValue?["id"] == .string(agent.0.id) && $0.objectValue?["status"] == .string("frozen") } == true)
            for (method, path, body) in [(HTTPRequest.Method.post, Self.debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM"}"#),
                                         (.post, "/v1/holds", #"{"workspaceId":"w","actionType":"SIMPLE_LLM"}"#), (.get, "/v1/workspaces/w", nil)] {
                try await client.expectError(method, path, key: agent.1, body: body, status: 403, code: "key_frozen")
            }
            try await client.expectError(.patch, "/v1/api-keys/\(agent.0.id)", key: admin, body: #"{"status":"gone"}"#, status: 422, code: "invalid_value")
            let adminId = try #require(try await fixture.store.apiKeys().first { $0.role == .admin }?.id)
            try await client.expectError(.patch, "/v1/api-keys/\(adminId)", key: admin, body: #"{"status":"frozen"}"#, status: 422, code: "invalid_value")
            // Nor may it sign in to the dashboard: no session is made.
            let signIn = try await DashboardTests.signInResponse(client, agent.1)
            #expect(signIn.status == .forbidden && DashboardTests.sessionCookie(signIn) == nil && DashboardTests.text(signIn).contains("frozen"))
            #expect(try await client.send(.patch, "/v1/api-keys/\(agent.0.id)", key: admin, body: #"{"status":"active"}"#).status == .ok)
            #expect(try await client.send(.post, Self.debit, key: agent.1, body: #"{"workspaceId":"w","actionType":"SIMPLE_LLM"}"#).status == .ok)
        }
        let after = try await fixture.store.verifyLedger()
        #expect(after.decisions == before.decisions + 1 && after.firstViolation == nil)
    }
}
