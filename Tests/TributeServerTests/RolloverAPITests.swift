import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// A plan's rollover over HTTP (SPEC §3.9): set, shown, replaced, and the carry shown on the
/// workspace after a close, on every backend.
@Suite struct RolloverAPITests {
    @Test(arguments: Backend.allCases)
    func aPlansRolloverIsSetShownAndCarriedOnTheWorkspace(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        let admin = fixture.adminKey
        try await fixture.test { client in
            let put = try await client.send(.put, "/v1/plans/roll", key: admin, body: """
                {"name":"Rollover","monthlyAllowance":100,"overagePolicy":"block","overageRate":0,"priceCents":900,
                 "rollover":{"fraction":0.25,"maxCarry":20,"expiresAfterPeriods":3}}
                """)
            #expect(put.status == .ok, "\(put.text)")
            let rollover = try #require(put.json?.objectValue?["rollover"]?.objectValue)
            #expect(rollover["fraction"] == .number("0.25") && rollover["maxCarry"] == .number("20") && rollover["expiresAfterPeriods"] == .number("3"))
            let listed = try await client.send(.get, "/v1/plans", key: admin)
            #expect(listed.text.contains(#""fraction":0.25"#))
            let made = try await client.send(.post, "/v1/workspaces", key: admin, body: #"{"id":"w","name":"w","planId":"roll"}"#)
            #expect(made.status == .created && made.json?.objectValue?["rollover"] == .array([]), "\(made.text)")
            let workspace = try await fixture.store.workspace(id: "w")
            fixture.clock.set(millis: workspace.period.end * 1000 + 1_000)
            #expect(try await fixture.store.closePeriods(limit: 10) == 1)
            let shown = try await client.send(.get, "/v1/workspaces/w", key: admin)
            let lots = try #require(shown.json?.objectValue?["rollover"]?.arrayValue)
            // A quarter of 100 is 25, above the cap of 20.
            #expect(lots.count == 1 && lots.first?.objectValue?["actions"] == .number("20"), "\(shown.text)")
            #expect(shown.json?.objectValue?["remainingAllowance"] == .number("120"))
            // A PUT without rollover replaces the plan: it carries nothing more; the carry
            // already made stays until it lapses.
            let plain = try await client.send(.put, "/v1/plans/roll", key: admin, body: #"{"name":"Rollover","monthlyAllowance":100,"overagePolicy":"block","overageRate":0,"priceCents":900}"#)
            #expect(plain.json?.objectValue?["rollover"] == .null)
            #expect(try await fixture.store.workspace(id: "w").rollover.count == 1)
        }
        #expect(try await fixture.store.verifyLedger().firstViolation == nil)
    }
}
