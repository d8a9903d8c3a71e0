import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TributeCore
import TributeStore
import TributeTestSupport
@testable import TributeServer

/// The hold routes (SPEC §3.1) over HTTP, on every backend: the answers, the refusals with
/// their codes, idempotent replays, workspace isolation, expiry by the clock and by the
/// sweeper, and what usage and the decisions list make of a hold's steps.
@Suite struct HoldAPITests {
    /// A real application over a fresh store whose clock the test moves.
    struct Fixture {
        let store: any TributeStore
        let clock: ManualClock
        let adminKey: String

        init(_ backend: Backend) async throws {
            clock = ManualClock(millis: Identifier.currentMillis())
            store = try await backend.makeStore(clock: clock).0
            adminKey = try await store.createAPIKey(role: .admin, workspaceIds: [], name: "test").secret
        }

        /// A prepaid workspace (no allowance, 0.1 credit an action) holding `credits`.
        func workspace(_ id: String, credits: Amount) async throws {
            _ = try await store.createWorkspace(WorkspaceDraft(id: id, name: id, planId: "prepaid", anchorDate: nil))
            _ = try await store.grantCredits(workspaceId: id, grant: CreditGrantDraft(amount: credits, expiresAt: nil, note: nil))
        }

        func key(_ role: Role, _ workspaces: [String] = []) async throws -> String {
            try await store.createAPIKey(role: role, workspaceIds: workspaces, name: nil).secret
        }

        func test<Value>(_ body: @Sendable @escaping (any TestClientProtocol) async throws -> Value) async throws -> Value {
            let app = buildApplication(store: store, host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
            return try await app.test(.router) { client in try await body(client) }
        }
    }

    /// COMPLEX_LLM costs 5 actions: a multiplier of 2 holds 10 actions, 1 credit on prepaid.
    static let tenActions = #"{"workspaceId":"w","actionType":"COMPLEX_LLM","costMultiplier":2,"userId":"ada"}"#

    @Test(arguments: Backend.allCases)
    func aHoldIsCommittedInPartsThenShowsCommitted(backend: Backend) async throws {
        let fixture = try await Fixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let admin = fixture.adminKey
        try await fixture.test { client in
            let created = try await client.send(.post, "/v1/holds", key: admin, body: Self.tenActions)
            #expect(created.status == .ok)
            let hold = try #require(created.json?.objectValue)
            #expect(hold["success"] == .bool(true) && hold["reason"] == .string("APPROVED"))
            #expect(hold["actionsCharged"] == .number("10") && hold["debitAmount"] == .number("1") && hold["fromAllowance"] == .number("0"))
            #expect(hold["remainingBalance"] == .number("9"))
            #expect(hold["expiresAt"] == .string(ISOTime.format(millis: fixture.clock.nowMillis() + 300_000)))
            let id = try #require(hold["holdId"]?.stringValue)
            let workspace = try await client.send(.get, "/v1/workspaces/w", key: admin).json?.objectValue
            #expect(workspace?["heldAmount"] == .number("1") && workspace?["heldAllowance"] == .number("0") && workspace?["remainingBalance"] == .number("9"))

            let partial = try await client.send(.post, "/v1/holds/\(id)/commit", key: admin, body: #"{"actualActions":3,"final":false}"#)
            #expect(partial.status == .ok)
            let first = try #require(partial.json?.objectValue)
            #expect(first["actionsCharged"] == .number("3") && first["debitAmount"] == .number("0.3"))
            #expect(first["remainingHeld"] == .number("7") && first["remainingHeldAmount"] == .number("0.7") && first["status"] == .string("open"))
            #expect(first["holdId"] == .string(id) && first["transactionId"]?.stringValue != nil)

            let final = try await client.send(.post, "/v1/holds/\(id)/commit", key: admin, body: #"{"actualCostMultiplier":1}"#)
            #expect(final.status == .ok)
            let last = try #require(final.json?.objectValue)
            #expect(last["actionsCharged"] == .number("5") && last["debitAmount"] == .number("0.5"))
            #expect(last["remainingHeld"] == .number("0") && last["status"] == .string("committed") && last["remainingBalance"] == .number("9.2"))

            let read = try await client.send(.get, "/v1/holds/\(id)", key: admin)
            #expect(read.status == .ok)
            let shown = try #require(read.json?.objectValue)
            #expect(shown["status"] == .string("committed") && shown["workspaceId"] == .string("w") && shown["userId"] == .string("ada"))
            #expect(shown["committedActions"] == .number("8") && shown["committedAmount"] == .number("0.8"))
            #expect(shown["heldActions"] == .number("0") && shown["heldAmount"] == .number("0"))

            try await client.expectError(.post, "/v1/holds/\(id)/commit", key: admin, body: "{}", status: 409, code: "hold_closed")
            try await client.expectError(.post, "/v1/holds/\(id)/release", key: admin, body: nil, status: 409, code: "hold_closed")
            try await client.expectError(.post, "/v1/holds/\(id)/extend", key: admin, body: #"{"ttlSeconds":60}"#, status: 409, code: "hold_closed")

            // Usage is what the commits charged; the hold itself is no usage.
            let usage = try #require(try await client.send(.get, "/v1/workspaces/w/usage", key: admin).json?.objectValue)
            #expect(usage["totalActions"] == .number("8") && usage["totalCreditsSpent"] == .number("0.8"))
            let bucket = usage["byActionType"]?.objectValue?["COMPLEX_LLM"]?.objectValue
            #expect(bucket?["count"] == .number("2") && bucket?["actions"] == .number("8"))
            // The steps of a hold are listed with their kind, and none is a denial.
            let decisions = try await client.send(.get, "/v1/workspaces/w/decisions", key: admin)
            #expect(Self.items(decisions).map { $0["kind"]?.stringValue } == ["commit", "commit", "hold"])
            #expect(Self.items(try await client.send(.get, "/v1/workspaces/w/decisions?outcome=denied", key: admin)).isEmpty)
        }
        #expect(try await fixture.store.workspace(id: "w").remainingBalance == Amount(micros: 9_200_000))
        #expect(try await fixture.store.verifyLedger().firstViolation == nil)
    }

    @Test(arguments: Backend.allCases)
    func aReleaseGivesEverythingBackOnceAndAnExtendMovesTheExpiry(backend: Backend) async throws {
        let fixture = try await Fixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let admin = fixture.adminKey
        try await fixture.test { client in
            let first = try #require(try await client.send(.post, "/v1/holds", key: admin, body: Self.tenActions).json?.objectValue?["holdId"]?.stringValue)
            let second = try #require(try await client.send(.post, "/v1/holds", key: admin, body: Self.tenActions).json?.objectValue?["holdId"]?.stringValue)
            #expect(try await fixture.store.workspace(id: "w").heldAmount == Amount(units: 2))

            // `{}` and an empty body are both a release without options.
            let released = try await client.send(.post, "/v1/holds/\(first)/release", key: admin, body: "{}")
            #expect(released.status == .ok)
            let body = try #require(released.json?.objectValue)
            #expect(body["status"] == .string("released") && body["id"] == .string(first) && body["heldAmount"] == .number("0"))
            #expect(body["decisionId"]?.stringValue?.hasPrefix("dec_") == true)
            try await client.expectError(.post, "/v1/holds/\(first)/release", key: admin, body: nil, status: 409, code: "hold_closed")
            try await client.expectError(.post, "/v1/holds/\(second)/release", key: admin, body: #"{"final":true}"#, status: 400, code: "malformed_request")

            let extended = try await client.send(.post, "/v1/holds/\(second)/extend", key: admin, body: #"{"ttlSeconds":3600}"#)
            #expect(extended.status == .ok)
            #expect(extended.json?.objectValue?["expiresAt"] == .string(ISOTime.format(millis: fixture.clock.nowMillis() + 3_600_000)))
            #expect(extended.json?.objectValue?["status"] == .string("open"))
            fixture.clock.advance(seconds: 600)
            #expect(try await client.send(.get, "/v1/holds/\(second)", key: admin).json?.objectValue?["status"] == .string("open"))
            #expect(try await client.send(.post, "/v1/holds/\(second)/release", key: admin, body: nil).status == .ok)

            let listed = try await client.send(.get, "/v1/workspaces/w/holds?status=released&limit=1", key: admin)
            #expect(Self.items(listed).map { $0["id"]?.stringValue } == [second])
            let cursor = try #require(listed.json?.objectValue?["nextCursor"]?.stringValue)
            let next = try await client.send(.get, "/v1/workspaces/w/holds?status=released&limit=1&cursor=\(cursor)", key: admin)
            #expect(Self.items(next).map { $0["id"]?.stringValue } == [first])
            #expect(Self.items(try await client.send(.get, "/v1/workspaces/w/holds?status=open", key: admin)).isEmpty)
            // Releases are no usage and no denials.
            #expect(try await client.send(.get, "/v1/workspaces/w/usage", key: admin).json?.objectValue?["totalActions"] == .number("0"))
            #expect(Self.items(try await client.send(.get, "/v1/workspaces/w/decisions?outcome=denied", key: admin)).isEmpty)
        }
        let workspace = try await fixture.store.workspace(id: "w")
        #expect(workspace.remainingBalance == Amount(units: 10) && workspace.heldAmount == .zero)
    }

    @Test(arguments: Backend.allCases)
    func aKeyOfAnotherWorkspaceFindsNoHold(backend: Backend) async throws {
        let fixture = try await Fixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        try await fixture.workspace("x", credits: Amount(units: 10))
        let theirs = try await fixture.key(.service, ["x"])
        let viewer = try await fixture.key(.viewer, ["w"])
        let admin = fixture.adminKey
        try await fixture.test { client in
            let id = try #require(try await client.send(.post, "/v1/holds", key: admin, body: Self.tenActions).json?.objectValue?["holdId"]?.stringValue)
            try await client.expectError(.get, "/v1/holds/\(id)", key: theirs, body: nil, status: 404, code: "hold_not_found")
            try await client.expectError(.post, "/v1/holds/\(id)/commit", key: theirs, body: "{}", status: 404, code: "hold_not_found")
            try await client.expectError(.post, "/v1/holds/\(id)/release", key: theirs, body: nil, status: 404, code: "hold_not_found")
            try await client.expectError(.post, "/v1/holds/\(id)/extend", key: theirs, body: #"{"ttlSeconds":60}"#, status: 404, code: "hold_not_found")
            try await client.expectError(.get, "/v1/workspaces/w/holds", key: theirs, body: nil, status: 403, code: "forbidden")
            try await client.expectError(.post, "/v1/holds", key: theirs, body: Self.tenActions, status: 403, code: "forbidden")
            // The workspace's viewer reads the hold, and may not move money.
            #expect(try await client.send(.get, "/v1/holds/\(id)", key: viewer).status == .ok)
            #expect(Self.items(try await client.send(.get, "/v1/workspaces/w/holds", key: viewer)).count == 1)
            try await client.expectError(.post, "/v1/holds/\(id)/release", key: viewer, body: nil, status: 403, code: "forbidden")
            try await client.expectError(.post, "/v1/holds", key: viewer, body: Self.tenActions, status: 403, code: "forbidden")
            try await client.expectError(.get, "/v1/holds/hold_nope", key: admin, body: nil, status: 404, code: "hold_not_found")
            try await client.expectError(.get, "/v1/holds/bad%20id", key: admin, body: nil, status: 404, code: "hold_not_found")
        }
        #expect(try await fixture.store.holds(workspaceId: "w", status: nil, limit: 10, cursor: nil).items.map(\.status) == [.open])
    }

    @Test(arguments: Backend.allCases)
    func afterItsTimeAHoldIsExpiredAndTheSweeperRecordsIt(backend: Backend) async throws {
        let fixture = try await Fixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let admin = fixture.adminKey
        let id = try await fixture.test { client in
            let body = #"{"workspaceId":"w","actionType":"COMPLEX_LLM","costMultiplier":2,"ttlSeconds":10}"#
            let id = try #require(try await client.send(.post, "/v1/holds", key: admin, body: body).json?.objectValue?["holdId"]?.stringValue)
            fixture.clock.advance(seconds: 11)
            try await client.expectError(.post, "/v1/holds/\(id)/commit", key: admin, body: #"{"actualActions":1}"#, status: 409, code: "hold_expired")
            try await client.expectError(.post, "/v1/holds/\(id)/extend", key: admin, body: #"{"ttlSeconds":60}"#, status: 409, code: "hold_expired")
            try await client.expectError(.post, "/v1/holds/\(id)/release", key: admin, body: nil, status: 409, code: "hold_expired")
            #expect(try await client.send(.get, "/v1/holds/\(id)", key: admin).json?.objectValue?["status"] == .string("expired"))
            return id
        }
        let sweeper = HoldSweeper(store: fixture.store, logger: Logger(label: "test"))
        #expect(await sweeper.sweep(failuresBefore: 0) == 0)
        let workspace = try await fixture.store.workspace(id: "w")
        #expect(workspace.heldAmount == .zero && workspace.remainingBalance == Amount(units: 10))
        let events = try await fixture.store.events(workspaceId: "w", afterSeq: 0, limit: 10)
        #expect(events.filter { $0.type == .holdExpired }.map { $0.data["holdId"] } == [.string(id)])
        try await fixture.test { client in
            #expect(Self.items(try await client.send(.get, "/v1/workspaces/w/holds?status=expired", key: admin)).map { $0["id"]?.stringValue } == [id])
            let decisions = Self.items(try await client.send(.get, "/v1/workspaces/w/decisions", key: admin))
            #expect(decisions.map { $0["kind"]?.stringValue } == ["expiry", "hold"])
            try await client.expectError(.post, "/v1/holds/\(id)/commit", key: admin, body: "{}", status: 409, code: "hold_expired")
        }
        #expect(try await fixture.store.verifyLedger().firstViolation == nil)
    }

    @Test(arguments: Backend.allCases)
    func aCommitOfMoreThanIsHeldIsRefusedAndChangesNothing(backend: Backend) async throws {
        let fixture = try await Fixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let admin = fixture.adminKey
        try await fixture.test { client in
            let id = try #require(try await client.send(.post, "/v1/holds", key: admin, body: Self.tenActions).json?.objectValue?["holdId"]?.stringValue)
            let before = try await fixture.store.verifyLedger()
            try await client.expectError(.post, "/v1/holds/\(id)/commit", key: admin, body: #"{"actualActions":10.000001}"#, status: 422, code: "exceeds_hold")
            try await client.expectError(.post, "/v1/holds/\(id)/commit", key: admin, body: #"{"actualCostMultiplier":2.5}"#, status: 422, code: "exceeds_hold")
            let after = try await fixture.store.verifyLedger()
            #expect(after.transactions == before.transactions && after.decisions == before.decisions)
            let shown = try #require(try await client.send(.get, "/v1/holds/\(id)", key: admin).json?.objectValue)
            #expect(shown["status"] == .string("open") && shown["heldActions"] == .number("10"))
            // Exactly what is held is allowed.
            let all = try await client.send(.post, "/v1/holds/\(id)/commit", key: admin, body: #"{"actualActions":10}"#)
            #expect(all.json?.objectValue?["debitAmount"] == .number("1") && all.json?.objectValue?["status"] == .string("committed"))
        }
    }

    @Test(arguments: Backend.allCases)
    func createAndCommitReplayUnderTheirKeyAndAKeyReusedElsewhereConflicts(backend: Backend) async throws {
        let fixture = try await Fixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let admin = fixture.adminKey
        let replayed = HTTPField.Name("Idempotent-Replayed")!
        try await fixture.test { client in
            let created = try await client.send(.post, "/v1/holds", key: admin, body: Self.tenActions, headers: [("Idempotency-Key", "h-1")])
            // The same request, formatted otherwise, with the default written out.
            let again = try await client.send(
                .post, "/v1/holds", key: admin, body: #"{ "userId":"ada", "ttlSeconds":300, "costMultiplier":2.0, "actionType":"COMPLEX_LLM", "workspaceId":"w" }"#,
                headers: [("Idempotency-Key", "h-1")])
            #expect(created.status == .ok && again.status == .ok && created.text == again.text)
            #expect(created.headers[replayed] == nil && again.headers[replayed] == "true")
            try await client.expectError(
                .post, "/v1/holds", key: admin, body: #"{"workspaceId":"w","actionType":"COMPLEX_LLM","ttlSeconds":60}"#, status: 409, code: "idempotency_key_reused",
                headers: [("Idempotency-Key", "h-1")])
            // The key of a hold is not a key of a debit with the same fields.
            let debit = try await client.send(.post, "/v1/agent-actions/authorize-and-debit", key: admin, body: #"{"workspaceId":"w","actionType":"COMPLEX_LLM","costMultiplier":2,"userId":"ada"}"#, headers: [("Idempotency-Key", "h-1")])
            #expect(debit.status == .conflict && debit.errorCode == "idempotency_key_reused")
            let id = try #require(created.json?.objectValue?["holdId"]?.stringValue)
            let other = try #require(try await client.send(.post, "/v1/holds", key: admin, body: Self.tenActions).json?.objectValue?["holdId"]?.stringValue)

            let commit = try await client.send(.post, "/v1/holds/\(id)/commit", key: admin, body: #"{"actualActions":4}"#, headers: [("Idempotency-Key", "c-1")])
            let commitAgain = try await client.send(.post, "/v1/holds/\(id)/commit", key: admin, body: #"{"final":true,"actualActions":4.0}"#, headers: [("Idempotency-Key", "c-1")])
            #expect(commit.status == .ok && commitAgain.status == .ok && commit.text == commitAgain.text)
            #expect(commitAgain.headers[replayed] == "true")
            // The same key on another hold, on another route, or with another body.
            let key = [("Idempotency-Key", "c-1")]
            try await client.expectError(.post, "/v1/holds/\(other)/commit", key: admin, body: #"{"actualActions":4}"#, status: 409, code: "idempotency_key_reused", headers: key)
            try await client.expectError(.post, "/v1/holds/\(other)/release", key: admin, body: nil, status: 409, code: "idempotency_key_reused", headers: key)
            try await client.expectError(.post, "/v1/holds/\(id)/commit", key: admin, body: #"{"actualActions":5}"#, status: 409, code: "idempotency_key_reused", headers: key)
            let release = try await client.send(.post, "/v1/holds/\(other)/release", key: admin, body: nil, headers: [("Idempotency-Key", "r-1")])
            let releaseAgain = try await client.send(.post, "/v1/holds/\(other)/release", key: admin, body: "{}", headers: [("Idempotency-Key", "r-1")])
            #expect(release.status == .ok && releaseAgain.status == .ok && release.text == releaseAgain.text && releaseAgain.headers[replayed] == "true")
            try await client.expectError(.post, "/v1/holds", key: admin, body: Self.tenActions, status: 400, code: "malformed_request", headers: [("Idempotency-Key", "bad key")])
        }
        // One hold charged 4 of its 10 actions once and gave back the rest; the other gave all back.
        #expect(try await fixture.store.workspace(id: "w").remainingBalance == Amount(micros: 9_600_000))
        #expect(try await fixture.store.holds(workspaceId: "w", status: nil, limit: 10, cursor: nil).items.count == 2)
    }

    static let createCases: [(String, Int, String)] = [
        (#"{"workspaceId":"w","actionType":"SIMPLE_LLM","costMultiplier":NaN}"#, 400, "malformed_request"),
        (#"{"workspaceId":"w","actionType":"SIMPLE_LLM","costMultiplier":-1}"#, 422, "invalid_multiplier"),
        (#"{"workspaceId":"w","actionType":"SIMPLE_LLM","costMultiplier":0}"#, 422, "invalid_multiplier"),
        (#"{"workspaceId":"w","actionType":"SIMPLE_LLM","ttlSeconds":0}"#, 422, "invalid_value"),
        (#"{"workspaceId":"w","actionType":"SIMPLE_LLM","ttlSeconds":86401}"#, 422, "invalid_value"),
        (#"{"workspaceId":"w","actionType":"SIMPLE_LLM","ttlSeconds":1.5}"#, 422, "invalid_value"),
        (#"{"workspaceId":"w","actionType":"SIMPLE_LLM","ttlSeconds":"300"}"#, 400, "malformed_request"),
        (#"{"workspaceId":"w","actionType":"SIMPLE_LLM","ttlSeconds":null}"#, 400, "malformed_request"),
        (#"{"workspaceId":"w","actionType":"SIMPLE_LLM","holdId":"mine"}"#, 400, "malformed_request"),
        (#"{"workspaceId":"w","actionType":"NOPE"}"#, 422, "unknown_action_type"),
        (#"{"workspaceId":"nope","actionType":"SIMPLE_LLM"}"#, 404, "workspace_not_found"),
        (#"{"actionType":"SIMPLE_LLM"}"#, 400, "malformed_request"),
        (#"[]"#, 400, "malformed_request"),
    ]

    static let commitCases: [(String, Int, String)] = [
        (#"{"actualActions":NaN}"#, 400, "malformed_request"),
        (#"{"actualActions":-1}"#, 422, "invalid_value"),
        (#"{"actualActions":0.0000001}"#, 422, "invalid_value"),
        (#"{"actualActions":1e300}"#, 422, "invalid_value"),
        (#"{"actualActions":"1"}"#, 400, "malformed_request"),
        (#"{"actualCostMultiplier":-0.5}"#, 422, "invalid_multiplier"),
        (#"{"actualCostMultiplier":1000.000001}"#, 422, "invalid_multiplier"),
        (#"{"actualActions":1,"actualCostMultiplier":1}"#, 422, "invalid_value"),
        (#"{"final":"yes"}"#, 400, "malformed_request"),
        (#"{"actual":1}"#, 400, "malformed_request"),
        (#"{"#, 400, "malformed_request"),
    ]

    @Test(arguments: Backend.allCases)
    func badInputGetsItsErrorAndWritesNothing(backend: Backend) async throws {
        let fixture = try await Fixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let admin = fixture.adminKey
        let id = try await fixture.test { client in
            try #require(try await client.send(.post, "/v1/holds", key: admin, body: Self.tenActions).json?.objectValue?["holdId"]?.stringValue)
        }
        let before = try await fixture.store.verifyLedger()
        try await fixture.test { client in
            for (body, status, code) in Self.createCases {
                try await client.expectError(.post, "/v1/holds", key: admin, body: body, status: status, code: code)
            }
            for (body, status, code) in Self.commitCases {
                try await client.expectError(.post, "/v1/holds/\(id)/commit", key: admin, body: body, status: status, code: code)
            }
            for (body, status, code) in [(#"{"ttlSeconds":0}"#, 422, "invalid_value"), (#"{"ttlSeconds":86401}"#, 422, "invalid_value"),
                                         (#"{"ttlSeconds":"300"}"#, 400, "malformed_request"), ("{}", 400, "malformed_request"),
                                         (#"{"ttlSeconds":60,"final":true}"#, 400, "malformed_request")] {
                try await client.expectError(.post, "/v1/holds/\(id)/extend", key: admin, body: body, status: status, code: code)
            }
            try await client.expectError(.post, "/v1/holds/\(id)/release", key: admin, body: "[]", status: 400, code: "malformed_request")
            try await client.expectError(.get, "/v1/workspaces/w/holds?status=gone", key: admin, body: nil, status: 422, code: "invalid_value")
            try await client.expectError(.get, "/v1/workspaces/w/holds?limit=501", key: admin, body: nil, status: 422, code: "invalid_value")
            let shown = try #require(try await client.send(.get, "/v1/holds/\(id)", key: admin).json?.objectValue)
            #expect(shown["status"] == .string("open") && shown["heldActions"] == .number("10") && shown["committedActions"] == .number("0"))
        }
        let after = try await fixture.store.verifyLedger()
        #expect(after.firstViolation == nil)
        #expect(after.transactions == before.transactions && after.decisions == before.decisions && after.accounts == before.accounts)
        #expect(try await fixture.store.holds(workspaceId: "w", status: nil, limit: 10, cursor: nil).items.count == 1)
    }

    @Test func webhookEndpointsMayAskForHoldExpiredEvents() async throws {
        let fixture = try await Fixture(.sqlite)
        try await fixture.test { client in
            let created = try await client.send(.post, "/v1/webhook-endpoints", key: fixture.adminKey, body: #"{"url":"https://hooks.example.com/x","eventTypes":["hold.expired"]}"#)
            #expect(created.status == .created)
        }
        #expect(try await fixture.store.webhookEndpoints().map(\.eventTypes) == [[.holdExpired]])
    }

    @Test(arguments: Backend.allCases)
    func theWorkspacePageShowsOpenHoldsAndAnAdminReleasesOne(backend: Backend) async throws {
        let fixture = try await Fixture(backend)
        try await fixture.workspace("w", credits: Amount(units: 10))
        let viewerKey = try await fixture.key(.viewer, ["w"])
        let admin = fixture.adminKey
        try await fixture.test { client in
            let id = try #require(try await client.send(.post, "/v1/holds", key: admin, body: Self.tenActions).json?.objectValue?["holdId"]?.stringValue)
            let viewer = try await DashboardTests.session(client, viewerKey)
            let seen = DashboardTests.text(try await client.execute(uri: "/workspaces/w", method: .get, headers: DashboardTests.cookie(viewer)))
            #expect(seen.contains(#"<span data-live="heldAmount">1</span>"#) && seen.contains(id) && seen.contains("COMPLEX_LLM"))
            #expect(!seen.contains("/holds/\(id)/release"))
            let release = "/workspaces/w/holds/\(id)/release"
            let refused = try await client.execute(uri: release, method: .post, headers: DashboardTests.form("", cookie: viewer))
            #expect(refused.status == .forbidden)

            let session = try await DashboardTests.session(client, admin)
            let page = DashboardTests.text(try await client.execute(uri: "/workspaces/w", method: .get, headers: DashboardTests.cookie(session)))
            #expect(page.contains(#"action="/workspaces/w/holds/\#(id)/release""#))
            let crossSite = try await client.execute(uri: release, method: .post, headers: DashboardTests.form("", cookie: session, crossSite: true))
            #expect(crossSite.status == .forbidden)
            #expect(try await fixture.store.workspace(id: "w").heldAmount == Amount(units: 1))
            // A hold of another workspace is not released through this one's page.
            let wrongPage = try await client.execute(uri: "/workspaces/x/holds/\(id)/release", method: .post, headers: DashboardTests.form("", cookie: session))
            #expect(wrongPage.status == .notFound)

            let released = try await client.execute(uri: release, method: .post, headers: DashboardTests.form("", cookie: session))
            let after = try await AdminConsoleTests.followed(client, released, to: "/workspaces/w", session: session)
            #expect(after.contains("Hold \(id) released") && after.contains("No open holds.") && after.contains(#"<span data-live="heldAmount">0</span>"#))
            let again = try await client.execute(uri: release, method: .post, headers: DashboardTests.form("", cookie: session))
            #expect(again.status == .conflict && DashboardTests.text(again).contains("is closed"))
        }
        let workspace = try await fixture.store.workspace(id: "w")
        #expect(workspace.heldAmount == .zero && workspace.remainingBalance == Amount(units: 10))
    }

    /// docs/holds.md, "Held allowance belongs to its period" and "Suspension", over HTTP:
    /// each refusal has its status and code, and changes nothing.
    @Test(arguments: Backend.allCases)
    func anExtendPastThePeriodOrOnASuspendedWorkspaceIsRefused(backend: Backend) async throws {
        let fixture = try await Fixture(backend)
        let view = try await fixture.store.createWorkspace(WorkspaceDraft(id: "w", name: "w", planId: "free", anchorDate: nil))
        fixture.clock.set(millis: (view.period.end - 60) * 1000)
        let admin = fixture.adminKey
        try await fixture.test { client in
            let created = try await client.send(.post, "/v1/holds", key: admin, body: #"{"workspaceId":"w","actionType":"SIMPLE_LLM","costMultiplier":1000}"#)
            let id = try #require(created.json?.objectValue?["holdId"]?.stringValue)
            let expiresAt = created.json?.objectValue?["expiresAt"]
            fixture.clock.advance(seconds: 120)
            try await client.expectError(.post, "/v1/holds/\(id)/extend", key: admin, body: #"{"ttlSeconds":86400}"#, status: 422, code: "extends_past_period")
            #expect(try await client.send(.get, "/v1/holds/\(id)", key: admin).json?.objectValue?["expiresAt"] == expiresAt)
            let patched = try await client.send(.patch, "/v1/workspaces/w", key: admin, body: #"{"status":"suspended"}"#)
            #expect(patched.status == .ok)
            try await client.expectError(.post, "/v1/holds/\(id)/extend", key: admin, body: #"{"ttlSeconds":60}"#, status: 409, code: "workspace_suspended")
            let committed = try await client.send(.post, "/v1/holds/\(id)/commit", key: admin, body: #"{"actualActions":10}"#)
            #expect(committed.status == .ok && committed.json?.objectValue?["success"] == .bool(true))
        }
        #expect(try await fixture.store.verifyLedger().violation == nil)
    }

    /// The `items` of a list answer.
    static func items(_ response: TestResponse) -> [[String: JSON]] {
        guard case .array(let items)? = response.json?.objectValue?["items"] else { return [] }
        return items.compactMap(\.objectValue)
    }
}

extension TestClientProtocol {
    /// `expectError` with request headers.
    func expectError(_ method: HTTPRequest.Method, _ path: String, key: String, body: String?, status: Int, code: String, headers: [(String, String)]) async throws {
        let response = try await send(method, path, key: key, body: body, headers: headers)
        #expect(response.status.code == status, "\(method) \(path) → \(response.status.code) \(response.text.prefix(200))")
        #expect(response.errorCode == code, "\(method) \(path) → \(response.text.prefix(200))")
    }
}
