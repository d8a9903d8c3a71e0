import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// Grants' terms over HTTP (SPEC §3.9), on every backend: what a grant may say, who lists
/// and moves grants, and nothing written on a refusal.
@Suite struct GrantAPITests {
    @Test(arguments: Backend.allCases)
    func grantsCarryTheirTermsAndOnlyAnAdminMovesThem(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        for id in ["w", "other"] { _ = try await fixture.store.createWorkspace(WorkspaceDraft(id: id, name: id, planId: "prepaid", anchorDate: nil)) }
        let admin = fixture.adminKey
        let viewer = try await fixture.store.createAPIKey(role: .viewer, workspaceIds: ["w"], name: "viewer").1
        let stranger = try await fixture.store.createAPIKey(role: .service, workspaceIds: ["other"], name: "stranger").1
        try await fixture.test { client in
            let made = try await client.send(.post, "/v1/workspaces/w/credit-grants", key: admin,
                                             body: #"{"amount":5,"category":"refund","priority":10,"costBasisCents":250,"effectiveAt":"2020-01-01T00:00:00Z","note":"sorry"}"#)
            #expect(made.status == .created, "\(made.text)")
            let grant = try #require(made.json?.objectValue)
            #expect(grant["category"] == .string("refund") && grant["priority"] == .number("10") && grant["costBasisCents"] == .number("250"))
            #expect(grant["effectiveAt"] == .string("2020-01-01T00:00:00.000Z") && grant["transaction"]?.objectValue != nil)
            let id = try #require(grant["id"]?.stringValue)
            let bad: [(String, Int, String)] = [
                (#"{"amount":1,"category":"gift"}"#, 422, "invalid_value"),
                (#"{"amount":1,"priority":101}"#, 422, "invalid_value"),
                (#"{"amount":1,"priority":-1}"#, 422, "invalid_value"),
                (#"{"amount":1,"priority":1.5}"#, 422, "invalid_value"),
                (#"{"amount":1,"priority":"1"}"#, 400, "malformed_request"),
                (#"{"amount":1,"costBasisCents":-1}"#, 422, "invalid_value"),
                (#"{"amount":1,"costBasisCents":1e30}"#, 422, "invalid_value"),
                (#"{"amount":1,"effectiveAt":"2999-01-01T00:00:00Z"}"#, 422, "invalid_value"),
                (#"{"amount":1,"effectiveAt":"soon"}"#, 422, "invalid_value"),
                (#"{"amount":1,"rank":1}"#, 400, "malformed_request"),
            ]
            for (body, status, code) in bad {
                try await client.expectError(.post, "/v1/workspaces/w/credit-grants", key: admin, body: body, status: status, code: code)
            }
            try await client.expectError(.get, "/v1/workspaces/w/credit-grants", key: viewer, body: nil, status: 403, code: "forbidden")
            try await client.expectError(.get, "/v1/workspaces/w/credit-grants?cursor=grant_nope", key: admin, body: nil, status: 422, code: "invalid_value")
            let list = try await client.send(.get, "/v1/workspaces/w/credit-grants", key: admin)
            let items = try #require(list.json?.objectValue?["items"]?.arrayValue)
            #expect(items.count == 1 && items[0].objectValue?["transaction"] == nil && list.json?.objectValue?["nextCursor"] == .null)
            try await client.expectError(.get, "/v1/workspaces/w/credit-grants", key: stranger, body: nil, status: 403, code: "forbidden")
            try await client.expectError(.patch, "/v1/workspaces/w/credit-grants/\(id)", key: viewer, body: #"{"priority":1}"#, status: 403, code: "forbidden")
            try await client.expectError(.patch, "/v1/workspaces/w/credit-grants/\(id)", key: admin, body: #"{"priority":500}"#, status: 422, code: "invalid_value")
            try await client.expectError(.patch, "/v1/workspaces/w/credit-grants/\(id)", key: admin, body: #"{}"#, status: 400, code: "malformed_request")
            try await client.expectError(.patch, "/v1/workspaces/other/credit-grants/\(id)", key: admin, body: #"{"priority":1}"#, status: 404, code: "grant_not_found")
            try await client.expectError(.patch, "/v1/workspaces/w/credit-grants/grant_nope", key: admin, body: #"{"priority":1}"#, status: 404, code: "grant_not_found")
            let moved = try await client.send(.patch, "/v1/workspaces/w/credit-grants/\(id)", key: admin, body: #"{"priority":0}"#)
            #expect(moved.status == .ok && moved.json?.objectValue?["priority"] == .number("0"))
        }
    }
}
