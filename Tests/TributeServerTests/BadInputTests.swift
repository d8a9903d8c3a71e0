import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// Malformed and hostile requests to every route: the documented 4xx with the error body,
/// and nothing written.
@Suite struct BadInputTests {
    static let debit = "/v1/agent-actions/authorize-and-debit"
    static let huge = "{\"workspaceId\":\"w\",\"actionType\":\"SIMPLE_LLM\",\"context\":{\"pad\":\"" + String(repeating: "x", count: 70_000) + "\"}}"
    static let bigContext = "{\"workspaceId\":\"w\",\"actionType\":\"SIMPLE_LLM\",\"context\":{\"pad\":\"" + String(repeating: "x", count: 17_000) + "\"}}"

    static let cases: [(HTTPRequest.Method, String, String?, Int, String)] = [
        (.post, debit, "{", 400, "malformed_request"),
        (.post, debit, "", 400, "malformed_request"),
        (.post, debit, "[]", 400, "malformed_request"),
        (.post, debit, "null", 400, "malformed_request"),
        (.post, debit, #"{"workspaceId":"w"}"#, 400, "malformed_request"),
        (.post, debit, #"{"workspaceId":1,"actionType":"SIMPLE_LLM"}"#, 400, "malformed_request"),
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","costMultiplier":"2"}"#, 400, "malformed_request"),
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","costMultiplier":NaN}"#, 400, "malformed_request"),
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","costMultiplier":Infinity}"#, 400, "malformed_request"),
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","costMultiplier":-1}"#, 422, "invalid_multiplier"),
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","costMultiplier":0}"#, 422, "invalid_multiplier"),
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","costMultiplier":1000.000001}"#, 422, "invalid_multiplier"),
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","costMultiplier":1e308}"#, 422, "invalid_multiplier"),
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","costMultiplier":0.0000001}"#, 422, "invalid_multiplier"),
        (.post, debit, #"{"workspaceId":"w","actionType":"NOPE"}"#, 422, "unknown_action_type"),
        // Token counts: whole numbers from 0 to 10⁹ of the five kinds, nothing else.
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","usage":{"inputTokens":-1}}"#, 422, "invalid_usage"),
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","usage":{"inputTokens":1000000001}}"#, 422, "invalid_usage"),
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","usage":{"outputTokens":1.5}}"#, 422, "invalid_usage"),
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","usage":{"outputTokens":"5"}}"#, 422, "invalid_usage"),
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","usage":{"outputTokens":null}}"#, 422, "invalid_usage"),
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","usage":{"outputTokens":1e400}}"#, 422, "invalid_usage"),
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","usage":{"audioTokens":5}}"#, 422, "invalid_usage"),
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","usage":[5]}"#, 422, "invalid_usage"),
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","usage":5}"#, 422, "invalid_usage"),
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","usage":null}"#, 400, "malformed_request"),
        // Usage on an action priced per call.
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","usage":{"inputTokens":5}}"#, 422, "invalid_usage"),
        (.post, "/v1/holds", #"{"workspaceId":"w","actionType":"SIMPLE_LLM","usage":{"inputTokens":5}}"#, 422, "invalid_usage"),
        (.post, "/v1/holds", #"{"workspaceId":"w","actionType":"SIMPLE_LLM","usage":{"inputTokens":-5}}"#, 422, "invalid_usage"),
        (.post, debit, #"{"workspaceId":"nope","actionType":"SIMPLE_LLM"}"#, 404, "workspace_not_found"),
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","surprise":true}"#, 400, "malformed_request"),
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","context":"text"}"#, 400, "malformed_request"),
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","userId":""}"#, 422, "invalid_value"),
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","userId":["a"]}"#, 400, "malformed_request"),
        (.post, debit, bigContext, 422, "invalid_value"),
        (.post, debit, huge, 413, "payload_too_large"),
        (.post, "/v1/workspaces", #"{"name":"x"}"#, 400, "malformed_request"),
        (.post, "/v1/workspaces", #"{"name":"x","planId":"nope"}"#, 404, "plan_not_found"),
        (.post, "/v1/workspaces", #"{"name":"x","planId":"free","anchorDate":"2026-02-30"}"#, 422, "invalid_value"),
        (.post, "/v1/workspaces", #"{"id":"w","name":"x","planId":"free"}"#, 409, "already_exists"),
        (.post, "/v1/workspaces", #"{"id":"bad id!","name":"x","planId":"free"}"#, 422, "invalid_value"),
        (.get, "/v1/workspaces/nope", nil, 404, "workspace_not_found"),
        (.patch, "/v1/workspaces/w", #"{"status":"gone"}"#, 422, "invalid_value"),
        (.patch, "/v1/workspaces/w", #"{"planId":"nope"}"#, 404, "plan_not_found"),
        (.patch, "/v1/workspaces/nope", #"{"name":"x"}"#, 404, "workspace_not_found"),
        (.put, "/v1/action-costs/SIMPLE_LLM", #"{"baseCost":-1}"#, 422, "invalid_value"),
        (.put, "/v1/action-costs/SIMPLE_LLM", #"{"baseCost":"1"}"#, 400, "malformed_request"),
        (.put, "/v1/action-costs/SIMPLE_LLM", #"{"baseCost":1e20}"#, 422, "invalid_value"),
        (.put, "/v1/action-costs/lower", #"{"baseCost":1}"#, 422, "invalid_value"),
        (.put, "/v1/action-costs/SIMPLE_LLM", #"{"tokenRates":{"inputTokens":-1}}"#, 422, "invalid_value"),
        (.put, "/v1/action-costs/SIMPLE_LLM", #"{"tokenRates":{"inputTokens":1000000.000001}}"#, 422, "invalid_value"),
        (.put, "/v1/action-costs/SIMPLE_LLM", #"{"tokenRates":{"audioTokens":1}}"#, 400, "malformed_request"),
        (.put, "/v1/action-costs/SIMPLE_LLM", #"{"tokenRates":[1]}"#, 400, "malformed_request"),
        (.put, "/v1/action-costs/SIMPLE_LLM", #"{"tokenRates":{},"baseCost":1}"#, 422, "invalid_value"),
        (.put, "/v1/action-costs/SIMPLE_LLM", #"{"tokenRates":{},"perCall":-1}"#, 422, "invalid_value"),
        (.put, "/v1/action-costs/SIMPLE_LLM", #"{"perCall":1}"#, 422, "invalid_value"),
        (.put, "/v1/action-costs/SIMPLE_LLM", #"{}"#, 400, "malformed_request"),
        (.get, "/v1/action-costs/NOPE/history", nil, 422, "unknown_action_type"),
        (.put, "/v1/plans/p", #"{"name":"p","monthlyAllowance":1,"overagePolicy":"maybe","overageRate":0,"priceCents":0}"#, 422, "invalid_value"),
        (.put, "/v1/plans/p", #"{"name":"p","monthlyAllowance":1,"overagePolicy":"block","overageRate":0,"priceCents":1.5}"#, 422, "invalid_value"),
        (.put, "/v1/plans/p", #"{"name":"p","monthlyAllowance":-1,"overagePolicy":"block","overageRate":0,"priceCents":0}"#, 422, "invalid_value"),
        (.put, "/v1/plans/p", #"{"name":"p","monthlyAllowance":1,"overagePolicy":"block","overageRate":0,"priceCents":0,"rollover":{"fraction":1.5,"maxCarry":1,"expiresAfterPeriods":1}}"#, 422, "invalid_value"),
        (.put, "/v1/plans/p", #"{"name":"p","monthlyAllowance":1,"overagePolicy":"block","overageRate":0,"priceCents":0,"rollover":{"fraction":0.5,"maxCarry":1,"expiresAfterPeriods":0}}"#, 422, "invalid_value"),
        (.put, "/v1/plans/p", #"{"name":"p","monthlyAllowance":1,"overagePolicy":"block","overageRate":0,"priceCents":0,"rollover":{"fraction":0.5,"maxCarry":-1,"expiresAfterPeriods":1}}"#, 422, "invalid_value"),
        (.put, "/v1/plans/p", #"{"name":"p","monthlyAllowance":1,"overagePolicy":"block","overageRate":0,"priceCents":0,"rollover":{"fraction":0.5}}"#, 400, "malformed_request"),
        (.put, "/v1/plans/p", #"{"name":"p","monthlyAllowance":1000000000000,"overagePolicy":"block","overageRate":0,"priceCents":0,"rollover":{"fraction":0.5,"maxCarry":1,"expiresAfterPeriods":1}}"#, 422, "invalid_value"),
        (.put, "/v1/plans/p", #"{"name":"p","monthlyAllowance":1,"overagePolicy":"block","overageRate":0,"priceCents":0,"rollover":{}}"#, 400, "malformed_request"),
        (.put, "/v1/plans/p", #"{"name":"p","monthlyAllowance":1,"overagePolicy":"block","overageRate":0,"priceCents":0,"rollover":"half"}"#, 400, "malformed_request"),
        (.put, "/v1/plans/p", #"{"name":"p","monthlyAllowance":1,"overagePolicy":"block","overageRate":0,"priceCents":0,"rollover":null}"#, 400, "malformed_request"),
        (.put, "/v1/plans/p", #"{"name":"p","monthlyAllowance":1,"overagePolicy":"block","overageRate":0,"priceCents":0,"rollover":{"fraction":0.5,"maxCarry":1,"expiresAfterPeriods":1,"x":1}}"#, 400, "malformed_request"),
        (.post, "/v1/workspaces/w/credit-grants", #"{"amount":0}"#, 422, "invalid_value"),
        (.post, "/v1/workspaces/w/credit-grants", #"{"amount":-5}"#, 422, "invalid_value"),
        (.post, "/v1/workspaces/w/credit-grants", #"{"amount":5,"expiresAt":"2001-01-01T00:00:00Z"}"#, 422, "invalid_value"),
        (.post, "/v1/workspaces/w/credit-grants", #"{"amount":5,"expiresAt":"tomorrow"}"#, 422, "invalid_value"),
        (.post, "/v1/workspaces/nope/credit-grants", #"{"amount":5}"#, 404, "workspace_not_found"),
        (.put, "/v1/workspaces/w/budgets/team:x", #"{"limit":1,"unit":"actions","period":"month"}"#, 422, "invalid_value"),
        (.put, "/v1/workspaces/w/budgets/user:x", #"{"limit":1,"unit":"dollars","period":"month"}"#, 422, "invalid_value"),
        (.put, "/v1/workspaces/w/budgets/user:x", #"{"limit":1,"unit":"actions"}"#, 400, "malformed_request"),
        (.delete, "/v1/workspaces/w/budgets/user:none", nil, 404, "budget_not_found"),
        (.get, "/v1/workspaces/w/transactions?limit=0", nil, 422, "invalid_value"),
        (.get, "/v1/workspaces/w/transactions?limit=501", nil, 422, "invalid_value"),
        (.get, "/v1/workspaces/w/transactions?cursor=abc", nil, 422, "invalid_value"),
        (.get, "/v1/workspaces/w/decisions?outcome=maybe", nil, 422, "invalid_value"),
        (.get, "/v1/workspaces/w/usage?days=0", nil, 422, "invalid_value"),
        (.get, "/v1/workspaces/w/usage?from=2999-01-01", nil, 422, "invalid_value"),
        (.get, "/v1/workspaces/w/usage?format=xml", nil, 422, "invalid_value"),
        (.post, debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","userId":null}"#, 400, "malformed_request"),
        (.get, "/v1/workspaces/nope/usage", nil, 404, "workspace_not_found"),
        (.post, "/v1/api-keys", #"{"role":"root"}"#, 422, "invalid_value"),
        (.post, "/v1/api-keys", #"{"role":"viewer"}"#, 422, "invalid_value"),
        (.post, "/v1/api-keys", #"{"role":"viewer","workspaceIds":["nope"]}"#, 404, "workspace_not_found"),
        (.delete, "/v1/api-keys/key_nope", nil, 404, "api_key_not_found"),
        (.get, "/v1/nothing-here", nil, 404, "not_found"),
        // A path segment whose percent-encoding decodes to no text names nothing.
        (.get, "/v1/workspaces/%ZZ", nil, 400, "invalid_path"),
        (.get, "/v1/workspaces/w%FF/decisions", nil, 400, "invalid_path"),
        (.delete, "/v1/workspaces/w/budgets/user:%ZZ", nil, 400, "invalid_path"),
        (.delete, "/v1/api-keys/key_%G1", nil, 400, "invalid_path"),
    ]

    @Test(arguments: Backend.allCases)
    func everyBadRequestGetsItsErrorAndWritesNothing(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 5))
        let before = try await fixture.store.verifyLedger()
        let keysBefore = try await fixture.store.apiKeys().count
        let costsBefore = try await fixture.store.actionCosts()
        let plansBefore = try await fixture.store.plans()
        let admin = fixture.adminKey
        try await fixture.test { (client: any TestClientProtocol) async throws -> Void in
            for (method, path, body, status, code) in BadInputTests.cases {
                try await client.expectError(method, path, key: admin, body: body, status: status, code: code)
            }
        }
        let after = try await fixture.store.verifyLedger()
        #expect(after.firstViolation == nil)
        #expect(after.transactions == before.transactions)
        #expect(after.decisions == before.decisions)
        #expect(after.accounts == before.accounts)
        #expect(try await fixture.store.apiKeys().count == keysBefore)
        #expect(try await fixture.store.actionCosts() == costsBefore)
        #expect(try await fixture.store.plans() == plansBefore)
        #expect(try await fixture.store.workspaces(limit: 10, cursor: nil).items.count == 1)
    }
}

extension TestClientProtocol {
    /// Sends a request that must fail with `status` and the error body's `code`.
    func expectError(_ method: HTTPRequest.Method, _ path: String, key: String, body: String?, status: Int, code: String) async throws {
        let response = try await send(method, path, key: key, body: body)
        #expect(response.status.code == status, "\(method) \(path) \(body?.prefix(120) ?? "") → \(response.status.code) \(response.text.prefix(200))")
        #expect(response.errorCode == code, "\(method) \(path) \(body?.prefix(120) ?? "") → \(response.text.prefix(200))")
        #expect(response.json?.objectValue?["error"]?.objectValue?["message"]?.stringValue?.isEmpty == false)
    }
}
