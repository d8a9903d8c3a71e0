import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// Statements over HTTP (SPEC §3.9), on every backend: listed and read by any key of the
/// workspace, in JSON, CSV and HTML with the same figures; bad numbers, ranges and formats
/// refused; another workspace's key refused.
@Suite struct StatementAPITests {
    static func sum(_ text: String?) -> Amount { text.flatMap { try? Amount.parse($0) } ?? .zero }

    @Test(arguments: Backend.allCases)
    func statementsAreReadInEveryFormatWithTheSameFigures(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 5))
        try await fixture.workspace("other", credits: Amount(units: 1))
        let viewer = try await fixture.key(.viewer, ["w"])
        let stranger = try await fixture.key(.service, ["other"])
        for _ in 0..<7 { _ = try await fixture.store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", agentId: "agent-1"), idempotency: nil) }
        let view = try await fixture.store.workspace(id: "w")
        fixture.clock.set(millis: view.period.end * 1000 + 300_000)
        try await fixture.test { client in
            let list = try await client.send(.get, "/v1/workspaces/w/statements", key: viewer)
            #expect(list.status == .ok, "\(list.text)")
            let items = try #require(list.json?.objectValue?["items"]?.arrayValue)
            #expect(items.count == 1 && items.first?.objectValue?["number"] == .number("1") && items.first?.objectValue?["closingCredits"] == .number("4.3"))
            let json = try await client.send(.get, "/v1/workspaces/w/statements/1", key: viewer)
            let statement = try #require(json.json?.objectValue)
            let digest = try #require(statement["digest"]?.stringValue)
            #expect(digest == items.first?.objectValue?["digest"]?.stringValue && digest.count == 64)
            #expect(statement["closing"]?.objectValue?["credits"] == .number("4.3"))
            #expect(statement["usage"]?.objectValue?["byAgent"]?.arrayValue?.first?.objectValue?["key"] == .string("agent-1"))
            // CSV: the opening plus the movements make the closing, as in the JSON.
            let csv = try await client.send(.get, "/v1/workspaces/w/statements/1?format=csv", key: viewer)
            #expect(csv.status == .ok && csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            var totals: [String: Amount] = [:]
            for line in csv.text.split(separator: "\n").dropFirst() {
                let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                guard cells.count == 8 else { Issue.record("line \(line)"); continue }
                totals[cells[0], default: .zero] += Self.sum(cells[4])
            }
            #expect(totals["opening"] == .zero && totals["closing"] == Amount(micros: 4_300_000))
            #expect((totals["opening"] ?? .zero) + (totals["movement"] ?? .zero) == totals["closing"])
            let html = try await client.send(.get, "/v1/workspaces/w/statements/1?format=html", key: viewer)
            #expect(html.status == .ok && html.text.contains("Statement 1") && html.text.contains(digest))
            #expect(html.headers[.contentType]?.hasPrefix("text/html") == true)
            // Any range, on demand, up to now: it closes on the workspace's balance.
            let live = try await client.send(.get, "/v1/workspaces/w/statement?from=2000-01-01&to=2100-01-01", key: viewer)
            #expect(live.status == .ok && live.json?.objectValue?["closing"]?.objectValue?["credits"] == .number("4.3"), "\(live.text.prefix(300))")
            #expect(live.json?.objectValue?["number"] == .null)
            let refused: [(String, Int, String)] = [
                ("/v1/workspaces/w/statements/0", 404, "statement_not_found"),
                ("/v1/workspaces/w/statements/2", 404, "statement_not_found"),
                ("/v1/workspaces/w/statements/abc", 404, "statement_not_found"),
                ("/v1/workspaces/w/statements/99999999999999999999", 404, "statement_not_found"),
                ("/v1/workspaces/w/statements/1?format=xml", 422, "invalid_value"),
                ("/v1/workspaces/w/statement?from=2026-02-01&to=2026-01-01", 422, "invalid_value"),
                ("/v1/workspaces/w/statement?to=2026-01-01", 422, "invalid_value"),
                ("/v1/workspaces/w/statement?from=soon&to=2026-01-01", 422, "invalid_value"),
                ("/v1/workspaces/nope/statements", 404, "workspace_not_found"),
            ]
            for (path, status, code) in refused { try await client.expectError(.get, path, key: fixture.adminKey, body: nil, status: status, code: code) }
            let foreign = try await client.send(.get, "/v1/workspaces/w/statements", key: stranger)
            #expect(foreign.status == .forbidden)
        }
        #expect(try await fixture.store.verifyLedger().firstViolation == nil)
    }
}
