import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TributeCore
import TributeStore
import TributeTestSupport
@testable import TributeServer

/// The router and `openapi.yaml` describe the same API: every route the router registers is
/// a documented operation and every operation a route, the operations the contract leaves
/// open (`security: []`) are the only ones that answer without a key, and a key never
/// reaches another workspace through any route. The routes are read from the router itself
/// (`Router.routes`), so a route added to any collection is checked with no change here.
@Suite struct RouterContractTests {
    /// A method and a path as `openapi.yaml` writes them (`/v1/workspaces/{id}`).
    struct Operation: Hashable, Comparable, CustomStringConvertible {
        var method: String
        var path: String

        var description: String { "\(method) \(path)" }
        static func < (lhs: Operation, rhs: Operation) -> Bool { (lhs.path, lhs.method) < (rhs.path, rhs.method) }
    }

    /// Routes that are no operation of the API: the dashboard's pages, forms and assets.
    static let dashboard: Set<Operation> = [
        Operation(method: "GET", path: "/"),
        Operation(method: "GET", path: "/sign-in"), Operation(method: "POST", path: "/sign-in"), Operation(method: "POST", path: "/sign-out"),
        Operation(method: "GET", path: "/workspaces/{id}"), Operation(method: "GET", path: "/workspaces/{id}/live"),
        Operation(method: "GET", path: "/workspaces/{id}/usage.csv"), Operation(method: "POST", path: "/workspaces/{id}/purchases"),
        Operation(method: "POST", path: "/workspaces/{id}/holds/{holdId}/release"),
        Operation(method: "GET", path: "/admin"), Operation(method: "POST", path: "/admin/action-costs"),
        Operation(method: "GET", path: "/admin/action-costs/{actionType}"), Operation(method: "POST", path: "/admin/action-costs/{actionType}"),
        Operation(method: "POST", path: "/admin/plans/{planId}"), Operation(method: "POST", path: "/admin/keys"),
        Operation(method: "POST", path: "/admin/keys/{keyId}/revoke"), Operation(method: "POST", path: "/admin/keys/{keyId}/status"),
        // The admin console.
        Operation(method: "POST", path: "/admin/workspaces"), Operation(method: "POST", path: "/workspaces/{id}/settings"),
        Operation(method: "POST", path: "/workspaces/{id}/status"), Operation(method: "POST", path: "/workspaces/{id}/credit-grants"),
        Operation(method: "POST", path: "/workspaces/{id}/auto-topup"),
        Operation(method: "POST", path: "/workspaces/{id}/budgets"), Operation(method: "POST", path: "/workspaces/{id}/budgets/delete"),
        Operation(method: "GET", path: "/workspaces/{id}/decisions/{decisionId}"),
        Operation(method: "GET", path: "/workspaces/{id}/statements/{number}"), Operation(method: "GET", path: "/workspaces/{id}/statements/{number}/csv"),
        Operation(method: "POST", path: "/workspaces/{id}/decisions/{decisionId}/reverse"),
        Operation(method: "POST", path: "/admin/webhook-endpoints"), Operation(method: "GET", path: "/admin/webhook-endpoints/{endpointId}"),
        Operation(method: "POST", path: "/admin/webhook-endpoints/{endpointId}/delete"),
        Operation(method: "GET", path: "/assets/dashboard.css"), Operation(method: "GET", path: "/assets/dashboard.js"),
    ]

    /// The operations of an OpenAPI document's `paths`, and whether each needs no key
    /// (`security: []`). A line reader for the document's own layout: two spaces before a
    /// path, four before a method, six before an operation's members.
    static func operations(inOpenAPI yaml: String) -> [Operation: Bool] {
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]
        var operations: [Operation: Bool] = [:]
        var inPaths = false
        var path: String?
        var operation: Operation?
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: true) {
            let indent = line.prefix { $0 == " " }.count
            let content = line.dropFirst(indent)
            if content.hasPrefix("#") { continue }
            switch indent {
            case 0:
                inPaths = content == "paths:"
                path = nil
                operation = nil
            case 2 where inPaths && content.hasPrefix("/") && content.hasSuffix(":"):
                path = String(content.dropLast())
                operation = nil
            case 4 where inPaths && path != nil:
                let key = content.hasSuffix(":") ? String(content.dropLast()) : ""
                operation = methods.contains(key) ? Operation(method: key.uppercased(), path: path!) : nil
                if let operation { operations[operation] = false }
            case 6 where content.replacingOccurrences(of: " ", with: "") == "security:[]":
                if let operation { operations[operation] = true }
            default:
                continue
            }
        }
        return operations
    }

    static func registered() async throws -> Set<Operation> {
        let store = try await Backend.sqlite.makeStore().0
        return Set(buildRouter(store: store).routes.map { Operation(method: $0.method.rawValue, path: $0.path.description) })
    }

    @Test func everyRouteIsADocumentedOperationAndEveryOperationARoute() async throws {
        let registered = try await Self.registered()
        let documented = Set(Self.operations(inOpenAPI: OpenAPIDocument.text).keys)
        #expect(!documented.isEmpty, "openapi.yaml was not read")
        let undocumented = registered.subtracting(documented).subtracting(Self.dashboard)
        let unrouted = documented.subtracting(registered)
        #expect(undocumented.isEmpty, "Routes that openapi.yaml does not document: \(undocumented.sorted())")
        #expect(unrouted.isEmpty, "Operations of openapi.yaml that no route serves: \(unrouted.sorted())")
        // The exclusions are routes, and not API operations: a stale one would hide a route.
        #expect(Self.dashboard.subtracting(registered).isEmpty, "Excluded routes that do not exist: \(Self.dashboard.subtracting(registered).sorted())")
        #expect(Self.dashboard.isDisjoint(with: documented))
    }

    @Test func theReaderFindsOperationsAndTheirSecurity() {
        let yaml = """
            openapi: 3.0.3
            paths:
              /a/{id}:
                parameters:
                  - name: id
                get:
                  security: []
                  responses: {}
                delete:
                  responses: {}
              # a comment
              /b:
                post:
                  summary: not a method: get
            components:
              schemas:
                get:
                  type: object
            """
        #expect(Self.operations(inOpenAPI: yaml) == [
            Operation(method: "GET", path: "/a/{id}"): true, Operation(method: "DELETE", path: "/a/{id}"): false,
            Operation(method: "POST", path: "/b"): false,
        ])
    }

    /// `{id}` names the workspace "theirs"; other parameters get a value of their shape.
    static func concretePath(_ path: String) -> String {
        path.replacingOccurrences(of: "{id}", with: "theirs").replacingOccurrences(of: "{scope}", with: "user:u")
            .replacingOccurrences(of: "{actionType}", with: "SIMPLE_LLM").replacingOccurrences(of: "{planId}", with: "free")
            .replacingOccurrences(of: "{keyId}", with: "key_x").replacingOccurrences(of: "{packageId}", with: "starter")
            .replacingOccurrences(of: "{purchaseId}", with: "pur_x").replacingOccurrences(of: "{endpointId}", with: "whe_x")
            .replacingOccurrences(of: "{holdId}", with: "hold_x")
    }

    @Test(arguments: Backend.allCases)
    func onlyTheOperationsTheContractLeavesOpenAnswerWithoutAKeyAndNoKeyReachesAnotherWorkspace(backend: Backend) async throws {
        let fixture = try await APIFixture(backend)
        try await fixture.workspace("mine", credits: .one)
        try await fixture.workspace("theirs", credits: .one)
        let scoped = [try await fixture.key(.viewer, ["mine"]), try await fixture.key(.service, ["mine"])]
        let operations = Self.operations(inOpenAPI: OpenAPIDocument.text)
        try await fixture.test { client in
            for (operation, isOpen) in operations.sorted(by: { $0.key < $1.key }) {
                let method = HTTPRequest.Method(operation.method)!
                let path = Self.concretePath(operation.path)
                let withoutKey = try await client.send(method, path, key: nil)
                if isOpen {
                    #expect(withoutKey.status != .unauthorized, "\(operation) is open in openapi.yaml")
                } else {
                    #expect(withoutKey.status == .unauthorized && withoutKey.errorCode == "unauthenticated", "\(operation) without a key → \(withoutKey.status)")
                }
                // Every route under a workspace refuses a key of another one, whatever its role.
                guard operation.path.hasPrefix("/v1/workspaces/{id}") else { continue }
                for key in scoped {
                    let response = try await client.send(method, path, key: key)
                    #expect(response.status == .forbidden && response.errorCode == "forbidden", "\(operation) with a key of another workspace → \(response.status)")
                }
            }
        }
    }

    @Test func aKnownPathAskedWithAnotherMethodIs405WithAllowAndAnUnknownOneIs404() async throws {
        let fixture = try await APIFixture(.sqlite)
        try await fixture.test { client in
            for (method, path, allow) in [
                (HTTPRequest.Method.put, "/v1/plans", "GET, HEAD"), (.trace, "/v1/plans", "GET, HEAD"), (.post, "/healthz", "GET, HEAD"),
                (.delete, "/v1/workspaces", "GET, HEAD, POST"), (.post, "/v1/workspaces/w", "GET, HEAD, PATCH"),
                (.get, "/v1/workspaces/w/budgets/user:u", "DELETE, PUT"), (.head, "/v1/workspaces/w/budgets/user:u", "DELETE, PUT"),
                (.put, "/admin/action-costs/SIMPLE_LLM", "GET, HEAD, POST"),
            ] {
                let response = try await client.send(method, path, key: nil)
                #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                #expect(response.headers[.allow] == allow, "\(method) \(path)")
                // A `HEAD` gets the status and headers only.
                #expect(response.errorCode == (method == .head ? nil : "method_not_allowed"), "\(method) \(path)")
            }
            for (method, path) in [(HTTPRequest.Method.get, "/v1/nothing-here"), (.get, "/v1/workspaces/w/nothing"), (HTTPRequest.Method("PURGE")!, "/v1/plans")] {
                let response = try await client.send(method, path, key: nil)
                #expect(response.status == .notFound, "\(method) \(path)")
                #expect(response.errorCode == "not_found", "\(method) \(path)")
            }
        }
    }
}
