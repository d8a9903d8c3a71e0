import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import TributeCore
import TributeServer
import TributeStore
import TributeTestSupport

/// A real application over a fresh store of one backend, with an admin key.
struct APIFixture {
    let store: any TributeStore
    let adminKey: String
    /// The store's clock, from the present.
    let clock: ManualClock

    init(_ backend: Backend) async throws {
        clock = ManualClock(millis: Identifier.currentMillis())
        store = try await backend.makeStore(clock: clock).0
        adminKey = try await store.createAPIKey(role: .admin, workspaceIds: [], name: "test").secret
    }

    /// A prepaid workspace holding `credits`.
    func workspace(_ id: String, credits: Amount) async throws {
        _ = try await store.createWorkspace(WorkspaceDraft(id: id, name: id, planId: "prepaid", anchorDate: nil))
        _ = try await store.grantCredits(workspaceId: id, grant: CreditGrantDraft(amount: credits, expiresAt: nil, note: nil))
    }

    func key(_ role: Role, _ workspaces: [String] = []) async throws -> String {
        try await store.createAPIKey(role: role, workspaceIds: workspaces, name: nil).secret
    }

    /// Runs `body` against the application through Hummingbird's in-process router.
    func test<Value>(_ body: @Sendable @escaping (any TestClientProtocol) async throws -> Value) async throws -> Value {
        let app = buildApplication(store: store, host: "127.0.0.1", port: 0, logger: Logger(label: "test"))
        return try await app.test(.router) { client in try await body(client) }
    }
}

/// A request and what the API must answer.
struct Call: Sendable, CustomStringConvertible {
    var method: HTTPRequest.Method
    var path: String
    var body: String?
    var key: String?
    var headers: [(String, String)] = []

    var description: String { "\(method) \(path) \(body ?? "")" }
}

extension TestClientProtocol {
    @discardableResult
    func send(_ method: HTTPRequest.Method, _ path: String, key: String?, body: String? = nil, headers extra: [(String, String)] = []) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let key { headers[.authorization] = "Bearer \(key)" }
        if body != nil { headers[.contentType] = "application/json" }
        for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
        return try await execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }
}

extension TestResponse {
    var text: String { body.getString(at: body.readerIndex, length: body.readableBytes) ?? "" }
    var json: JSON? { try? JSON.parse(Array(text.utf8)) }
    var errorCode: String? { json?.objectValue?["error"]?.objectValue?["code"]?.stringValue }
}
