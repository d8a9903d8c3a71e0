import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// The requests that once crashed, corrupted or bloated the server (SPEC §3.3): each gets
/// its 4xx, nothing is written, and the server keeps answering.
@Suite struct HostileInputTests {
    static let debit = "/v1/agent-actions/authorize-and-debit"
    /// Numbers that overflowed `Amount.parse` and ended the process.
    static let overflowing = ["9999999999999.999999", "9999999999999999999e-6", "92233720368547758080e-7", "1e19", "18446744073709551616"]
    static let combining = "a" + String(repeating: "\u{0301}", count: 20_000)

    static var cases: [(HTTPRequest.Method, String, String?, Int, String)] {
        var cases: [(HTTPRequest.Method, String, String?, Int, String)] = []
        for number in overflowing {
            cases += [
                (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","costMultiplier":\#(number)}"#, 422, "invalid_multiplier"),
                (.put, "/v1/workspaces/w/budgets/user:u", #"{"limit":\#(number),"unit":"credits","period":"month"}"#, 422, "invalid_value"),
                (.post, "/v1/workspaces/w/credit-grants", #"{"amount":\#(number)}"#, 422, "invalid_value"),
                (.put, "/v1/plans/p", #"{"name":"p","monthlyAllowance":\#(number),"overagePolicy":"block","overageRate":0,"priceCents":0}"#, 422, "invalid_value"),
                (.put, "/v1/plans/p", #"{"name":"p","monthlyAllowance":1,"overagePolicy":"block","overageRate":\#(number),"priceCents":0}"#, 422, "invalid_value"),
                (.put, "/v1/plans/p", #"{"name":"p","monthlyAllowance":1,"overagePolicy":"block","overageRate":0,"priceCents":\#(number)}"#, 422, "invalid_value"),
                (.put, "/v1/action-costs/SIMPLE_LLM", #"{"baseCost":\#(number)}"#, 422, "invalid_value"),
                (.put, "/v1/credit-packages/starter", #"{"name":"s","credits":\#(number),"priceCents":100,"currency":"usd","active":true}"#, 422, "invalid_value"),
                (.patch, "/v1/workspaces/w", #"{"lowBalanceThreshold":\#(number)}"#, 422, "invalid_value"),
            ]
        }
        cases += [
            // A grant onto a full wallet: the sum, not the number, is too large.
            (.post, "/v1/workspaces/full/credit-grants", #"{"amount":6}"#, 422, "amount_too_large"),
            (.post, "/v1/workspaces/w/credit-grants", #"{"amount":1000000000000}"#, 422, "amount_too_large"),
            (.get, "/v1/workspaces/%2e%2e", nil, 404, "workspace_not_found"),
            (.get, "/v1/workspaces/.", nil, 404, "workspace_not_found"),
            (.get, "/v1/workspaces/%2E/decisions", nil, 404, "workspace_not_found"),
            (.post, "/v1/workspaces", #"{"id":"..","name":"x","planId":"free"}"#, 422, "invalid_value"),
            (.post, "/v1/workspaces", #"{"id":".","name":"x","planId":"free"}"#, 422, "invalid_value"),
            (.put, "/v1/workspaces/w/budgets/user:%00", #"{"limit":1,"unit":"actions","period":"month"}"#, 422, "invalid_value"),
            (.put, "/v1/workspaces/w/budgets/run:%1b%5b2J", #"{"limit":1,"unit":"actions","period":"month"}"#, 422, "invalid_value"),
            (.put, "/v1/workspaces/w/budgets/agent:..", #"{"limit":1,"unit":"actions","period":"month"}"#, 422, "invalid_value"),
            (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","userId":"\#(combining)"}"#, 422, "invalid_value"),
            (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","userId":"."}"#, 422, "invalid_value"),
            (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","runId":".."}"#, 422, "invalid_value"),
            (.post, debit, #"{"workspaceId":"..","actionType":"SIMPLE_LLM"}"#, 422, "invalid_value"),
            (.patch, "/v1/workspaces/w", #"{"name":"\#(combining)"}"#, 422, "invalid_value"),
        ]
        return cases
    }

    @Test(arguments: Backend.allCases)
    func requestsThatOnceCrashedGetTheirErrorAndTheServerKeepsAnswering(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 5))
        // Together with w's 5 credits, `system:grants` is at the bound too.
        let nearlyFull = Amount(micros: Amount.max.micros - 5_000_000)
        try await fixture.workspace("full", credits: nearlyFull)
        let viewer = try await fixture.key(.viewer, ["w"])
        let before = try await fixture.store.verifyLedger()
        let admin = fixture.adminKey
        try await fixture.test { (client: any TestClientProtocol) async throws -> Void in
            for (method, path, body, status, code) in HostileInputTests.cases {
                try await client.expectError(method, path, key: admin, body: body, status: status, code: code)
                #expect(try await client.send(.get, "/healthz", key: nil).status == .ok)
            }
            // A viewer key never reaches the parser of the core call: the role comes first.
            for number in HostileInputTests.overflowing {
                let body = #"{"workspaceId":"w","actionType":"SIMPLE_LLM","costMultiplier":\#(number)}"#
                let response = try await client.send(.post, HostileInputTests.debit, key: viewer, body: body)
                #expect(response.status == .forbidden)
                #expect(response.errorCode == "forbidden")
            }
            #expect(try await client.send(.get, "/v1/workspaces", key: admin).status == .ok)
            #expect(try await client.send(.get, "/v1/workspaces/full", key: admin).status == .ok)
        }
        let after = try await fixture.store.verifyLedger()
        #expect(after.firstViolation == nil)
        #expect(after.transactions == before.transactions)
        #expect(after.decisions == before.decisions)
        #expect(try await fixture.store.workspace(id: "full").remainingBalance == nearlyFull)
        #expect(try await fixture.store.workspace(id: "w").remainingBalance == Amount(units: 5))
        #expect(try await fixture.store.budgets(workspaceId: "w").isEmpty)
    }
}
