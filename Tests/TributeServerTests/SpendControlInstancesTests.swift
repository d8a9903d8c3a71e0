import Foundation
import HTTPTypes
import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// SPEC §3.7 on two real `tribute serve` processes sharing one PostgreSQL database: a key's
/// and the workspace's day budgets hold exactly under a thousand concurrent calls split
/// between them, and a frozen key is refused by both within 2 s, then works again thawed.
@Suite(.serialized) struct SpendControlInstancesTests {
    typealias Pair = InstancesTests.Pair

    /// A service key for `w`: its id and secret.
    static func serviceKey(_ pair: Pair) async throws -> (id: String, secret: String) {
        let made = try await HTTP.call(port: pair.servers[0].port, .post, "/v1/api-keys", key: pair.key, body: #"{"role":"service","workspaceIds":["w"]}"#)
        let object = try #require(made.json?.objectValue, "\(made.status)")
        return (try #require(object["id"]?.stringValue), try #require(object["key"]?.stringValue))
    }

    /// `count` debits of one action with `key`, 256 in flight, alternating servers: how many
    /// were approved, and the scopes the refusals named.
    static func burst(_ pair: Pair, key: String, count: Int) async throws -> (approved: Int, scopes: Set<String>) {
        try await withThrowingTaskGroup(of: (Bool, String).self) { group in
            func call(_ index: Int) {
                let port = pair.servers[index % 2].port
                group.addTask {
                    let answer = try await HTTP.call(port: port, .post, "/v1/agent-actions/authorize-and-debit", key: key, body: InstancesTests.debit)
                    guard answer.status == .ok, let object = answer.json?.objectValue else { return (false, "status \(answer.status.code)") }
                    return (object["success"] == .bool(true), object["budgetScope"]?.stringValue ?? "none")
                }
            }
            var next = 0
            while next < min(256, count) { call(next); next += 1 }
            var approved = 0, scopes = Set<String>()
            for try await (ok, scope) in group {
                if ok { approved += 1 } else { scopes.insert(scope) }
                if next < count { call(next); next += 1 }
            }
            return (approved, scopes)
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func keyAndWorkspaceDayBudgetsHoldExactlyAcrossTwoServers() async throws {
        let pair = try await Pair(credits: 100)
        defer { pair.stop() }
        let agent = try await Self.serviceKey(pair)
        for (scope, limit) in [("key:\(agent.id)", 37), ("workspace", 60)] {
            let put = try await HTTP.call(port: pair.servers[1].port, .put, "/v1/workspaces/w/budgets/\(scope)", key: pair.key,
                                          body: #"{"limit":\#(limit),"unit":"actions","period":"day"}"#)
            #expect(put.status == .ok, "\(scope): \(put.status)")
        }
        let keyed = try await Self.burst(pair, key: agent.secret, count: 1_000)
        #expect(keyed.approved == 37 && keyed.scopes == ["key:\(agent.id)"], "\(keyed)")
        let rest = try await Self.burst(pair, key: pair.key, count: 1_000)
        #expect(rest.approved == 23 && rest.scopes == ["workspace"], "\(rest)")
        let workspace = try await HTTP.call(port: pair.servers[0].port, .get, "/v1/workspaces/w", key: pair.key)
        #expect(workspace.json?.objectValue?["remainingBalance"] == .number("94"))
        let budgets = try await HTTP.call(port: pair.servers[1].port, .get, "/v1/workspaces/w/budgets", key: pair.key)
        let items = budgets.json?.arrayValue ?? []
        #expect(items.compactMap { $0.objectValue?["used"] }.sorted { $0.serialized < $1.serialized } == [.number("37"), .number("60")])
        let verify = try pair.verify()
        #expect(verify.status == 0, "\(verify.output)")
    }

    @Test(.timeLimit(.minutes(3)))
    func aFrozenKeyIsRefusedByBothServersWithinTwoSecondsAndWorksAgainThawed() async throws {
        let pair = try await Pair(credits: 100)
        defer { pair.stop() }
        let agent = try await Self.serviceKey(pair)
        let debit = "/v1/agent-actions/authorize-and-debit"
        // Both servers have verified (and cached) the key.
        for server in pair.servers { #expect(try await HTTP.call(port: server.port, .post, debit, key: agent.secret, body: InstancesTests.debit).status == .ok) }
        let frozen = try await HTTP.call(port: pair.servers[0].port, .patch, "/v1/api-keys/\(agent.id)", key: pair.key, body: #"{"status":"frozen"}"#)
        #expect(frozen.status == .ok && frozen.json?.objectValue?["status"] == .string("frozen"))
        // At once on the server that froze it; on the other once its cached check (1.5 s) is stale.
        let here = try await HTTP.call(port: pair.servers[0].port, .post, debit, key: agent.secret, body: InstancesTests.debit)
        #expect(here.status == .forbidden && here.json?.objectValue?["error"]?.objectValue?["code"] == .string("key_frozen"))
        try await Task.sleep(for: .seconds(2))
        for server in pair.servers {
            let refused = try await HTTP.call(port: server.port, .post, debit, key: agent.secret, body: InstancesTests.debit)
            #expect(refused.status == .forbidden && refused.json?.objectValue?["error"]?.objectValue?["code"] == .string("key_frozen"))
        }
        // Nothing was written for the refused calls: two decisions, from before.
        let decisions = try await HTTP.call(port: pair.servers[1].port, .get, "/v1/workspaces/w/decisions", key: pair.key)
        #expect(decisions.json?.objectValue?["items"]?.arrayValue?.count == 2)
        let thawed = try await HTTP.call(port: pair.servers[1].port, .patch, "/v1/api-keys/\(agent.id)", key: pair.key, body: #"{"status":"active"}"#)
        #expect(thawed.status == .ok && thawed.json?.objectValue?["status"] == .string("active"))
        try await Task.sleep(for: .seconds(2))
        for server in pair.servers { #expect(try await HTTP.call(port: server.port, .post, debit, key: agent.secret, body: InstancesTests.debit).status == .ok) }
        #expect(try pair.verify().status == 0)
    }
}
