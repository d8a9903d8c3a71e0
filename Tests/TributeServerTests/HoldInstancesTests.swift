import Foundation
import HTTPTypes
import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// SPEC §3.1 on several instances: two real `tribute serve` processes on one PostgreSQL
/// database create, commit and expire holds of one workspace; both sweepers run.
@Suite(.serialized) struct HoldInstancesTests {
    @Test(.timeLimit(.minutes(3)))
    func twoServersHoldCommitAndExpireOneWorkspaceExactly() async throws {
        let pair = try await InstancesTests.Pair(credits: 50)
        defer { pair.stop() }
        let ports = pair.servers.map(\.port), key = pair.key
        // 200 holds of 1 credit each, split between the servers, on 50 credits.
        let held = try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<200 {
                group.addTask {
                    let body = #"{"workspaceId":"w","actionType":"SIMPLE_LLM","costMultiplier":10,"ttlSeconds":15}"#
                    let answer = try await HTTP.call(port: ports[index % 2], .post, "/v1/holds", key: key, body: body)
                    #expect(answer.status == .ok)
                    return answer.json?.objectValue?["holdId"]?.stringValue
                }
            }
            var ids: [String] = []
            for try await id in group { if let id { ids.append(id) } }
            return ids
        }
        #expect(held.count == 50)
        // Half committed at half their estimate, on the server that did not make them (or
        // did: the ids are in completion order); the other half left to expire.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, id) in held.enumerated() where index % 2 == 0 {
                group.addTask {
                    let answer = try await HTTP.call(port: ports[(index / 2) % 2], .post, "/v1/holds/\(id)/commit", key: key, body: #"{"actualCostMultiplier":5}"#)
                    #expect(answer.status == .ok, "\(answer.json.map { "\($0)" } ?? "")")
                }
            }
            try await group.waitForAll()
        }
        // Both sweepers race for the rest once their time is up (15 s: long enough for the
        // commits on a loaded machine); each is released once.
        var view: [String: JSON] = [:]
        for _ in 0..<200 {
            view = try await HTTP.call(port: ports[0], .get, "/v1/workspaces/w", key: key).json?.objectValue ?? [:]
            if case .number("0")? = view["heldAmount"] { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(view["heldAmount"] == .number("0"))
        #expect(view["remainingBalance"] == .number("37.5"))
        for (index, id) in held.enumerated() {
            let status = try await HTTP.call(port: ports[index % 2], .get, "/v1/holds/\(id)", key: key).json?.objectValue?["status"]?.stringValue
            #expect(status == (index % 2 == 0 ? "committed" : "expired"))
        }
        let verify = try pair.verify()
        #expect(verify.status == 0, "\(verify.output)")
    }
}
