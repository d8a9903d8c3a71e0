import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TributeCore
@testable import TributeServer
import TributeStore
import TributeTestSupport

/// Text a caller names things with holds no control, bidirectional or invisible format
/// character (`Fields.isRefusedInText`), and an id a call carries neither joiner
/// (`Fields.isRefusedInId`): refused with 422 wherever such text enters, and the contract's
/// patterns say exactly the same.
@Suite struct CallerTextTests {
    static let debit = "/v1/agent-actions/authorize-and-debit"

    /// U+202E shows what follows backwards; the others reorder or hide text as well.
    static let refusedEverywhere: [String] = [
        "\u{202E}", "\u{202A}", "\u{202D}", "\u{2066}", "\u{2069}", "\u{200E}", "\u{200F}", "\u{061C}", "\u{200B}", "\u{2060}", "\u{FEFF}",
        "\u{00AD}", "\u{180E}", "\u{2028}", "\u{2029}", "\u{009B}", "\u{0085}", "\u{0007}", "\u{007F}", "\u{FFF9}", "\u{206A}",
    ]

    /// The JSON string for `text`, every character of the Basic Multilingual Plane outside
    /// printable ASCII escaped (`\u202E`), as a caller could send it.
    static func json(_ text: String) -> String {
        let escaped = text.unicodeScalars.map { scalar in
            let printable = scalar.isASCII && scalar.value >= 0x20 && scalar != "\"" && scalar != "\\"
            return printable || scalar.value > 0xFFFF ? String(scalar) : String(format: "\\u%04X", scalar.value)
        }
        return "\"" + escaped.joined() + "\""
    }

    @Test(arguments: refusedEverywhere)
    func namesNotesAndIdsRefuseTheCharacter(character: String) async throws {
        let fixture = try await APIFixture(.sqlite)
        try await fixture.workspace("w", credits: Amount(units: 100))
        let text = Self.json("exe\(character)txt")
        try await fixture.test { client in
            for (method, path, body) in [
                (HTTPRequest.Method.post, "/v1/workspaces", #"{"id":"x","name":\#(text),"planId":"free"}"#),
                (.patch, "/v1/workspaces/w", #"{"name":\#(text)}"#),
                (.post, "/v1/workspaces/w/credit-grants", #"{"amount":1,"note":\#(text)}"#),
                (.post, Self.debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","userId":\#(text)}"#),
                (.post, Self.debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","runId":\#(text)}"#),
                (.post, "/v1/holds", #"{"workspaceId":"w","actionType":"SIMPLE_LLM","agentId":\#(text),"ttlSeconds":60}"#),
                (.post, "/v1/api-keys", #"{"role":"admin","name":\#(text)}"#),
            ] {
                let answer = try await client.send(method, path, key: fixture.adminKey, body: body)
                #expect(answer.status == .unprocessableContent && answer.errorCode == "invalid_value", "\(method) \(path) \(body): \(answer.status)")
            }
            // A budget's scope names its id in the path.
            let scope = "user:a" + character.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! + "b"
            let budget = try await client.send(.put, "/v1/workspaces/w/budgets/\(scope)", key: fixture.adminKey, body: #"{"limit":5,"unit":"actions","period":"month"}"#)
            #expect(budget.status == .unprocessableContent && budget.errorCode == "invalid_value", "budget \(scope): \(budget.status)")
        }
        #expect(try await fixture.store.decisions(workspaceId: "w", limit: 10, cursor: nil, approved: nil).items.isEmpty)
        await #expect(throws: TributeError.workspaceNotFound("x")) { try await fixture.store.workspace(id: "x") }
    }

    /// The joiners write Persian and Indic words and emoji sequences: a name may hold them,
    /// an id may not (`bob` and `bo\u{200C}b` would be two users that look the same).
    @Test func joinersAreAllowedInNamesAndRefusedInIds() async throws {
        let fixture = try await APIFixture(.sqlite)
        try await fixture.workspace("w", credits: Amount(units: 100))
        try await fixture.test { client in
            let family = Self.json("Family \u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}")
            let renamed = try await client.send(.patch, "/v1/workspaces/w", key: fixture.adminKey, body: #"{"name":\#(family)}"#)
            #expect(renamed.status == .ok, "\(renamed.text)")
            let persian = Self.json("\u{0645}\u{06CC}\u{200C}\u{062E}\u{0648}\u{0627}\u{0647}\u{0645}")
            #expect(try await client.send(.patch, "/v1/workspaces/w", key: fixture.adminKey, body: #"{"name":\#(persian)}"#).status == .ok)
            for joiner in ["\u{200C}", "\u{200D}"] {
                let id = Self.json("bo\(joiner)b")
                let call = try await client.send(.post, Self.debit, key: fixture.adminKey, body: #"{"workspaceId":"w","actionType":"SIMPLE_LLM","userId":\#(id)}"#)
                #expect(call.status == .unprocessableContent && call.errorCode == "invalid_value")
                let message = call.json?.objectValue?["error"]?.objectValue?["message"]?.stringValue ?? ""
                #expect(message.contains("userId") && message.contains("U+200"), "\(message)")
            }
        }
    }

    /// A budget whose scope was written before the rule (here straight into the store) can
    /// no longer be given new terms, but can be deleted, through the API and the dashboard.
    @Test func aBudgetWrittenBeforeTheRuleCanStillBeDeleted() async throws {
        let fixture = try await APIFixture(.sqlite)
        try await fixture.workspace("w", credits: Amount(units: 5))
        for id in ["a\u{202E}b", "c\u{200D}d"] {
            _ = try await fixture.store.putBudget(workspaceId: "w", scope: BudgetScope(kind: .user, id: id), limit: .one, unit: .actions, period: .month)
        }
        try await fixture.test { client in
            let path = "/v1/workspaces/w/budgets/user:a%E2%80%AEb"
            let renewed = try await client.send(.put, path, key: fixture.adminKey, body: #"{"limit":5,"unit":"actions","period":"month"}"#)
            #expect(renewed.status == .unprocessableContent)
            #expect(try await client.send(.delete, path, key: fixture.adminKey).status == .noContent)
        }
        #expect(try await fixture.store.budgets(workspaceId: "w").map(\.budget.scope.id) == ["c\u{200D}d"])
        let form = FormBody(Array("scope=user%3Ac%E2%80%8Dd".utf8))
        var copy = form
        #expect(try Dashboard<SQLiteStore>.budgetScope(&copy, existing: true) == BudgetScope(kind: .user, id: "c\u{200D}d"))
        copy = form
        #expect(throws: APIError.self) { try Dashboard<SQLiteStore>.budgetScope(&copy) }
    }

    /// Text that was always fine still is: accents, other scripts, emoji, spaces.
    @Test func ordinaryTextIsAccepted() async throws {
        let fixture = try await APIFixture(.sqlite)
        try await fixture.workspace("w", credits: Amount(units: 100))
        try await fixture.test { client in
            for name in ["Café Zoë", "東京 チーム", "שלום עולם", "مرحبا", "rocket 🚀", " padded ", "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}"] {
                let answer = try await client.send(.patch, "/v1/workspaces/w", key: fixture.adminKey, body: #"{"name":\#(Self.json(name))}"#)
                #expect(answer.status == .ok, "\(name): \(answer.text)")
            }
            let call = try await client.send(.post, Self.debit, key: fixture.adminKey, body: #"{"workspaceId":"w","actionType":"SIMPLE_LLM","userId":\#(Self.json("Zoë 東京"))}"#)
            #expect(call.status == .ok)
        }
    }

    /// The pattern of `name` in `openapi.yaml`'s component `schema`.
    static func pattern(ofSchema schema: String) throws -> NSRegularExpression {
        let lines = OpenAPIDocument.text.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0 == "    \(schema):" })
        let line = try #require(lines[start...].first { $0.hasPrefix("      pattern: ") })
        let quoted = String(line.dropFirst("      pattern: \"".count).dropLast())
        return try NSRegularExpression(pattern: quoted.replacingOccurrences(of: "\\\\", with: "\\"))
    }

    /// Every character of the Basic Multilingual Plane, and a sample beyond it: the
    /// contract's `Name` and `CallId` patterns accept exactly what the server does.
    @Test func theContractsPatternsStateTheSameRule() throws {
        let name = try Self.pattern(ofSchema: "Name")
        let callId = try Self.pattern(ofSchema: "CallId")
        let beyond: [UInt32] = [0x1_F600, 0x1_D173, 0xE_0001, 0xE_0067, 0x10_FFFD]
        var disagreements: [String] = []
        for value in Array(UInt32(0)...0xFFFF) + beyond {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = String(Character(scalar))
            let range = NSRange(text.startIndex..., in: text)
            if (name.firstMatch(in: text, range: range) != nil) == Fields.isRefusedInText(scalar) { disagreements.append("Name U+\(String(value, radix: 16))") }
            if (callId.firstMatch(in: text, range: range) != nil) == Fields.isRefusedInId(scalar) { disagreements.append("CallId U+\(String(value, radix: 16))") }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(20))")
    }
}
