import Foundation
import Testing
import TributeCore
@testable import TributeClient

/// The server's refusals arrive as typed errors with their status.
@Suite(.serialized, .timeLimit(.minutes(3))) struct TypedErrorTests {
    @Test func eachRefusalHasItsCodeAndStatus() async throws {
        try await withServer { server, admin in
            let tribute = client(realTransport(server, key: admin.key))
            let stranger = client(realTransport(server, key: "trb_not_a_key"))
            try await admin.createWorkspace("other", credits: "1")
            let otherKey = try await admin.serviceKey(workspace: "other")
            let outsider = client(realTransport(server, key: otherKey))

            let released = try await tribute.hold(workspaceId: "acme", actionType: "SIMPLE_LLM")
            let releasedId = try #require(released.holdId)
            try await tribute.release(holdId: releasedId)
            let open = try #require(try await tribute.hold(workspaceId: "acme", actionType: "SIMPLE_LLM").holdId)

            let cases: [(String, ServerErrorCode, Int, () async throws -> Void)] = [
                ("unknown action type", .unknownActionType, 422, { _ = try await tribute.authorizeAndDebit(workspaceId: "acme", actionType: "TELEPORT") }),
                ("wrong key", .unauthenticated, 401, { _ = try await stranger.authorizeAndDebit(workspaceId: "acme", actionType: "SIMPLE_LLM") }),
                ("unknown hold", .holdNotFound, 404, { _ = try await tribute.hold(id: "hold_nope") }),
                ("commit after release", .holdClosed, 409, { _ = try await tribute.commit(holdId: releasedId) }),
                ("release after release", .holdClosed, 409, { try await tribute.release(holdId: releasedId) }),
                ("multiplier too large", .invalidMultiplier, 422, {
                    _ = try await tribute.authorizeAndDebit(workspaceId: "acme", actionType: "SIMPLE_LLM", costMultiplier: .of("1001"))
                }),
                ("commit above the hold", .exceedsHold, 422, { _ = try await tribute.commit(holdId: open, actualActions: .of("2")) }),
                ("another workspace's key", .forbidden, 403, { _ = try await outsider.authorizeAndDebit(workspaceId: "acme", actionType: "SIMPLE_LLM") }),
                ("unknown workspace", .workspaceNotFound, 404, { _ = try await tribute.workspace(id: "nowhere") }),
                ("extend out of range", .invalidValue, 422, { try await tribute.extend(holdId: open, ttlSeconds: 0) }),
            ]
            for (name, code, status, call) in cases {
                let error = await clientError(call)
                guard case .server(let thrown, let thrownStatus, let message)? = error else {
                    Issue.record("\(name): expected a server error, got \(String(describing: error))")
                    continue
                }
                #expect(thrown == code && thrownStatus == status && !message.isEmpty, "\(name)")
            }
            #expect(try await admin.balances("acme").balance == .of("100") - .of("0.1"), "only the open hold holds anything")
        }
    }
}
