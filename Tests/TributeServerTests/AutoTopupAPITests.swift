import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// SPEC §3.8 over HTTP, on every backend, without Stripe: who may set auto top-up, what a
/// setting must hold, and a denial that says what auto top-up is doing.
@Suite struct AutoTopupAPITests {
    static let debit = "/v1/agent-actions/authorize-and-debit"
    static let good = #"{"packageId":"starter","threshold":50,"maxCentsPerMonth":5000}"#

    @Test(arguments: Backend.allCases)
    func settingsAreCheckedAndOnlyAnAdminSetsThem(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 100))
        try await fixture.workspace("other", credits: Amount(units: 1))
        let admin = fixture.adminKey
        let agent = try await fixture.store.createAPIKey(role: .service, workspaceIds: ["w"], name: "agent")
        let stranger = try await fixture.store.createAPIKey(role: .service, workspaceIds: ["other"], name: "stranger")
        try await fixture.test { client in
            let off = try #require(try await client.send(.get, "/v1/workspaces/w/auto-topup", key: agent.1).json?.objectValue)
            #expect(off["state"] == .string("off") && off["enabled"] == .bool(false) && off["lastAttempt"] == .null && off["paymentMethod"] == .null)
            try await client.expectError(.put, "/v1/workspaces/w/auto-topup", key: agent.1, body: Self.good, status: 403, code: "forbidden")
            try await client.expectError(.get, "/v1/workspaces/w/auto-topup", key: stranger.1, body: nil, status: 403, code: "forbidden")
            let bad: [(String, Int, String)] = [
                (#"{"packageId":"starter","threshold":50}"#, 400, "malformed_request"),
                (#"{"threshold":50,"maxCentsPerMonth":5000}"#, 400, "malformed_request"),
                (#"{"packageId":"starter","maxCentsPerMonth":5000}"#, 400, "malformed_request"),
                (#"{"packageId":"starter","threshold":-1,"maxCentsPerMonth":5000}"#, 422, "invalid_value"),
                (#"{"packageId":"starter","threshold":1e400,"maxCentsPerMonth":5000}"#, 422, "invalid_value"),
                (#"{"packageId":"starter","threshold":50,"maxCentsPerMonth":-5}"#, 422, "invalid_value"),
                (#"{"packageId":"starter","threshold":50,"maxCentsPerMonth":5000.5}"#, 422, "invalid_value"),
                (#"{"packageId":"starter","threshold":50,"maxCentsPerMonth":5000,"maxChargesPerDay":0}"#, 422, "invalid_value"),
                (#"{"packageId":"starter","threshold":50,"maxCentsPerMonth":5000,"mode":"target"}"#, 422, "invalid_value"),
                (#"{"packageId":"starter","threshold":50,"maxCentsPerMonth":5000,"mode":"target","target":40}"#, 422, "invalid_value"),
                (#"{"packageId":"starter","threshold":50,"maxCentsPerMonth":5000,"target":80}"#, 422, "invalid_value"),
                (#"{"packageId":"starter","threshold":50,"maxCentsPerMonth":5000,"mode":"sometimes"}"#, 422, "invalid_value"),
                (#"{"packageId":"starter","threshold":"50","maxCentsPerMonth":5000}"#, 400, "malformed_request"),
                (#"{"packageId":"starter","threshold":50,"maxCentsPerMonth":5000,"enabled":"yes"}"#, 400, "malformed_request"),
                (#"{"packageId":"starter","threshold":50,"maxCentsPerMonth":5000,"card":"4242"}"#, 400, "malformed_request"),
                (#"{"packageId":"nope","threshold":50,"maxCentsPerMonth":5000}"#, 422, "package_not_found"),
                (#"{"packageId":"starter","#, 400, "malformed_request"),
            ]
            for (body, status, code) in bad {
                try await client.expectError(.put, "/v1/workspaces/w/auto-topup", key: admin, body: body, status: status, code: code)
            }
            try await client.expectError(.put, "/v1/workspaces/nope/auto-topup", key: admin, body: Self.good, status: 404, code: "workspace_not_found")
            #expect(try await client.send(.get, "/v1/workspaces/w/auto-topup", key: admin).json?.objectValue?["state"] == .string("off"), "nothing written")
            let put = try #require(try await client.send(.put, "/v1/workspaces/w/auto-topup", key: admin,
                                                        body: #"{"packageId":"starter","threshold":50,"mode":"target","target":200,"maxCentsPerMonth":5000,"maxChargesPerDay":3}"#).json?.objectValue)
            #expect(put["state"] == .string("no_payment_method") && put["mode"] == .string("target") && put["target"] == .number("200"))
            #expect(put["maxChargesPerDay"] == .number("3") && put["threshold"] == .number("50") && put["enabled"] == .bool(true))
            // Without Stripe no card can be set up.
            try await client.expectError(.post, "/v1/workspaces/w/payment-method/setup", key: admin, body: nil, status: 503, code: "payments_not_configured")
            try await client.expectError(.post, "/v1/workspaces/w/payment-method/setup", key: stranger.1, body: nil, status: 403, code: "forbidden")
            try await client.expectError(.post, "/v1/workspaces/w/payment-method/setup", key: agent.1, body: nil, status: 403, code: "forbidden")
            // Off never needs a package on sale.
            #expect(try await client.send(.put, "/v1/workspaces/w/auto-topup", key: admin,
                                          body: #"{"enabled":false,"packageId":"retired-one","threshold":50,"maxCentsPerMonth":5000}"#).status == .ok)
            let attempts = try await client.send(.get, "/v1/workspaces/w/auto-topup/attempts", key: agent.1)
            #expect(attempts.status == .ok && attempts.json?.objectValue?["items"] == .array([]))
        }
    }

    /// With a saved card, a call that takes the credits to the threshold opens an attempt,
    /// shown at once; a denial while it is open says to wait.
    @Test(arguments: Backend.allCases)
    func aDenialWhileATopUpIsPendingSaysToWait(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 60))
        _ = try await fixture.store.saveCard(workspaceId: "w", card: SavedCard(paymentMethodId: "pm_1", brand: "visa", last4: "4242", fingerprint: "fp"), customerId: "cus_1")
        let admin = fixture.adminKey
        try await fixture.test { client in
            #expect(try await client.send(.put, "/v1/workspaces/w/auto-topup", key: admin, body: Self.good).json?.objectValue?["state"] == .string("active"))
            let approved = try await client.send(.post, Self.debit, key: admin, body: #"{"workspaceId":"w","actionType":"SIMPLE_LLM","costMultiplier":100}"#)
            #expect(approved.json?.objectValue?["success"] == .bool(true) && approved.json?.objectValue?["autoTopup"] == nil)
            let view = try #require(try await client.send(.get, "/v1/workspaces/w/auto-topup", key: admin).json?.objectValue)
            #expect(view["state"] == .string("pending") && view["lastAttempt"]?.objectValue?["status"] == .string("open"))
            #expect(view["lastAttempt"]?.objectValue?["availableCredits"] == .number("50"))
            let denied = try await client.send(.post, Self.debit, key: admin, body: #"{"workspaceId":"w","actionType":"SIMPLE_LLM","costMultiplier":1000}"#)
            #expect(denied.json?.objectValue?["reason"] == .string("INSUFFICIENT_BALANCE"))
            #expect(denied.json?.objectValue?["autoTopup"] == .object(["state": .string("pending")]))
        }
    }
}
