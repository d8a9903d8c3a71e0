import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TributeCore

/// The operator's side of a test: setup and ledger checks over the HTTP API, with an admin key.
struct Admin: Sendable {
    let baseURL: String
    let key: String

    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    @discardableResult
    func call(_ method: HTTPMethod, _ path: String, _ body: String? = nil, key: String? = nil) async throws -> (status: Int, json: JSON) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(key ?? self.key)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
        let bytes = try await response.body.collect(upTo: 1 << 22)
        let json = (try? JSON.parse(Array(bytes.readableBytesView))) ?? .null
        return (Int(response.status.code), json)
    }

    /// `call`, refusing any status but `expected`.
    @discardableResult
    func require(_ expected: Int, _ method: HTTPMethod, _ path: String, _ body: String? = nil) async throws -> JSON {
        let answer = try await call(method, path, body)
        guard answer.status == expected else { throw Failed(description: "\(method) \(path): \(answer.status) \(answer.json.serialized)") }
        return answer.json
    }

    func createWorkspace(_ id: String, plan: String = "prepaid", credits: String) async throws {
        try await require(201, .POST, "/v1/workspaces", #"{"id":"\#(id)","name":"\#(id)","planId":"\#(plan)"}"#)
        try await require(201, .POST, "/v1/workspaces/\(id)/credit-grants", #"{"amount":\#(credits)}"#)
    }

    /// A service key for `workspace`, with its own rate limit when given.
    func serviceKey(workspace: String, perSecond: Int? = nil, burst: Int? = nil) async throws -> String {
        var body = #"{"role":"service","workspaceIds":["\#(workspace)"]"#
        if let perSecond, let burst { body += #","rateLimit":{"perSecond":\#(perSecond),"burst":\#(burst)}"# }
        body += "}"
        guard let key = try await require(201, .POST, "/v1/api-keys", body).objectValue?["key"]?.stringValue else { throw Failed(description: "no key") }
        return key
    }

    /// Prices `actionType` per token: `rates` is the `tokenRates` object's JSON.
    func setTokenRates(_ actionType: String, _ rates: String, perCall: String = "0") async throws {
        try await require(200, .PUT, "/v1/action-costs/\(actionType)", #"{"tokenRates":\#(rates),"perCall":\#(perCall)}"#)
    }

    func setBudget(workspace: String, scope: String, limit: String, unit: String = "actions") async throws {
        try await require(200, .PUT, "/v1/workspaces/\(workspace)/budgets/\(scope)", #"{"limit":\#(limit),"unit":"\#(unit)","period":"lifetime"}"#)
    }

    /// The workspace's balance and what open holds hold, exactly.
    func balances(_ workspace: String) async throws -> (balance: Amount, held: Amount) {
        let object = try await require(200, .GET, "/v1/workspaces/\(workspace)").objectValue
        guard case .number(let balance)? = object?["remainingBalance"], case .number(let held)? = object?["heldAmount"] else {
            throw Failed(description: "no balance")
        }
        return (try Amount.parse(balance), try Amount.parse(held))
    }

    /// How many ledger transactions of `kind` the workspace has (one page of 500 is plenty here).
    func transactionCount(_ workspace: String, kind: String) async throws -> Int {
        let json = try await require(200, .GET, "/v1/workspaces/\(workspace)/transactions?limit=500")
        guard case .array(let items)? = json.objectValue?["items"] else { throw Failed(description: "no items") }
        return items.filter { $0.objectValue?["kind"]?.stringValue == kind }.count
    }

    /// The workspace's holds (newest first).
    func holds(_ workspace: String) async throws -> [[String: JSON]] {
        let json = try await require(200, .GET, "/v1/workspaces/\(workspace)/holds")
        guard case .array(let items)? = json.objectValue?["items"] else { throw Failed(description: "no items") }
        return items.compactMap(\.objectValue)
    }
}

extension Amount {
    /// An exact amount from decimal text, for test literals.
    static func of(_ text: String) -> Amount {
        (try? Amount.parse(text)) ?? Amount(micros: Int64.min)
    }
}
