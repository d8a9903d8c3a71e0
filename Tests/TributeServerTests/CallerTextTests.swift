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
/// character (`Fields.isRefusedInText`), and an id a call carries no joiner, format or
/// default-ignorable character either (`Fields.isRefusedInId`): refused with 422 wherever
/// such text enters, and the contract's patterns say exactly the same.
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

    /// Invisible in an id, and no control, bidirectional or zero-width character: tag
    /// characters, variation selectors, U+034F, the Hangul fillers and the other format
    /// (Cf) and default-ignorable characters, in the Basic Multilingual Plane and beyond.
    static let hiddenInIds: [String] = [
        "\u{E0041}", "\u{E0001}", "\u{E007F}", "\u{E0020}", "\u{034F}", "\u{FE00}", "\u{FE0F}", "\u{E0100}", "\u{E01EF}",
        "\u{115F}", "\u{1160}", "\u{3164}", "\u{FFA0}", "\u{17B4}", "\u{17B5}", "\u{1D173}", "\u{1D17A}", "\u{180B}",
        "\u{1BCA0}", "\u{0600}", "\u{13430}", "\u{E0FFF}",
    ]

    /// The UTF-8 of `text`, every byte outside ASCII letters and digits percent-encoded.
    static func percentEncoded(_ text: String) -> String {
        text.utf8.map { byte in
            let keep = (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
            return keep ? String(UnicodeScalar(byte)) : "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
        }.joined()
    }

    /// `bob` and `bob` with a tag character look the same on every page: as an id a call
    /// carries, or a budget scope's, each such character is refused, and the first budget
    /// stays the only one. Names keep variation selectors and tags (emoji, flags).
    @Test func idsRefuseFormatAndDefaultIgnorableCharacters() async throws {
        let fixture = try await APIFixture(.sqlite)
        try await fixture.workspace("w", credits: Amount(units: 100))
        let terms = #"{"limit":5,"unit":"actions","period":"month"}"#
        try await fixture.test { client in
            #expect(try await client.send(.put, "/v1/workspaces/w/budgets/user:bob", key: fixture.adminKey, body: terms).status == .ok)
            for character in Self.hiddenInIds {
                let id = Self.json("bob\(character)")
                let hex = String(character.unicodeScalars.first!.value, radix: 16, uppercase: true)
                let code = String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                for (path, body) in [
                    (Self.debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","userId":\#(id)}"#),
                    (Self.debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","agentId":\#(id)}"#),
                    (Self.debit, #"{"workspaceId":"w","actionType":"SIMPLE_LLM","runId":\#(id)}"#),
                    (Self.debit, #"{"workspaceId":\#(Self.json("w\(character)")),"actionType":"SIMPLE_LLM"}"#),
                    ("/v1/holds", #"{"workspaceId":"w","actionType":"SIMPLE_LLM","userId":\#(id),"ttlSeconds":60}"#),
                ] {
                    let answer = try await client.send(.post, path, key: fixture.adminKey, body: body)
                    let message = answer.json?.objectValue?["error"]?.objectValue?["message"]?.stringValue ?? ""
                    #expect(answer.status == .unprocessableContent && answer.errorCode == "invalid_value" && message.contains("U+\(code)"),
                            "U+\(code) \(path) \(body): \(answer.status) \(message)")
                }
                for kind in ["user", "agent", "run"] {
                    let scope = "\(kind):" + Self.percentEncoded("bob\(character)")
                    let budget = try await client.send(.put, "/v1/workspaces/w/budgets/\(scope)", key: fixture.adminKey, body: terms)
                    #expect(budget.status == .unprocessableContent && budget.errorCode == "invalid_value", "U+\(code) budget \(scope): \(budget.status)")
                }
            }
            for name in ["heart \u{2764}\u{FE0F}", "\u{1F3F4}\u{E0067}\u{E0062}\u{E0077}\u{E006C}\u{E0073}\u{E007F}"] {
                let renamed = try await client.send(.patch, "/v1/workspaces/w", key: fixture.adminKey, body: #"{"name":\#(Self.json(name))}"#)
                #expect(renamed.status == .ok, "\(renamed.text)")
            }
        }
        #expect(try await fixture.store.budgets(workspaceId: "w").map(\.budget.scope.id) == ["bob"])
        #expect(try await fixture.store.decisions(workspaceId: "w", limit: 10, cursor: nil, approved: nil).items.isEmpty)
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

    /// The pattern of `openapi.yaml`'s component `schema` (its own, or its `allOf`'s), as
    /// the YAML line spells it, between the double quotes.
    static func patternText(ofSchema schema: String) throws -> String {
        let lines = OpenAPIDocument.text.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0 == "    \(schema):" })
        let line = try #require(lines[(start + 1)...].prefix { $0.hasPrefix("      ") }.first { $0.contains("pattern: \"") })
        let quoted = try #require(line.range(of: "pattern: \""))
        #expect(line.hasSuffix("\""))
        return String(line[quoted.upperBound...].dropLast())
    }

    /// A double-quoted YAML scalar's text as the YAML reader gives it to the schema's
    /// readers (Python's `re` and Rust's `regex` in schemathesis, ICU here): `\\` is one
    /// backslash (`\\u200B` reaches them as the regex escape `\u200B`), `\U000E0000` the
    /// code point itself (ECMA 262, which JSON Schema's `pattern` follows, has no `\U`).
    static func yamlUnescaped(_ quoted: String) throws -> String {
        var result = String.UnicodeScalarView()
        var scalars = quoted.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard scalar == "\\" else {
                result.append(scalar)
                continue
            }
            let next = scalars.next()
            let escape = try #require(next, "a lone backslash ends \(quoted)")
            let digits = switch escape {
            case "\\", "\"": 0
            case "x": 2
            case "u": 4
            case "U": 8
            default: -1
            }
            try #require(digits >= 0, "YAML escape \\\(escape) in \(quoted)")
            guard digits > 0 else {
                result.append(escape)
                continue
            }
            var hex = ""
            for _ in 0..<digits {
                let digit = scalars.next()
                hex.unicodeScalars.append(try #require(digit, "\\\(escape) is cut short in \(quoted)"))
            }
            result.append(try #require(UInt32(hex, radix: 16).flatMap(Unicode.Scalar.init), "\\\(escape)\(hex)"))
        }
        return String(result)
    }

    /// A pattern as the YAML line spells it, as a regular expression.
    static func regex(_ yamlText: String) throws -> NSRegularExpression {
        try NSRegularExpression(pattern: try yamlUnescaped(yamlText))
    }

    /// The code points a pattern `^[^…]+$` refuses, found by matching its class alone once
    /// over a text holding every scalar: such a pattern accepts a text exactly when it
    /// holds none of them.
    static func refused(by yamlText: String, among text: String) throws -> Set<UInt32> {
        #expect(yamlText.hasPrefix("^[^") && yamlText.hasSuffix("]+$") && yamlText.filter { $0 == "]" }.count == 1, "\(yamlText)")
        let characterClass = try regex("[" + yamlText.dropFirst(3).dropLast(2))
        var refused: Set<UInt32> = []
        for match in characterClass.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            // By UTF-16 offset: a refused scalar (U+034F, say) may sit inside a character.
            let scalar = text.unicodeScalars[String.Index(utf16Offset: match.range.location, in: text)]
            #expect(match.range.length == scalar.utf16.count)
            refused.insert(scalar.value)
        }
        return refused
    }

    /// Every Unicode scalar, U+0000 to U+10FFFF (surrogates are none): the contract's `Name`
    /// and `CallId` patterns refuse exactly what the server does.
    @Test func theContractsPatternsStateTheSameRule() throws {
        let scalars = (UInt32(0)...0x10_FFFF).compactMap(Unicode.Scalar.init)
        var every = String.UnicodeScalarView()
        every.append(contentsOf: scalars)
        let text = String(every)
        for (schema, rule) in [("Name", Fields.isRefusedInText), ("CallId", Fields.isRefusedInId)] as [(String, (Unicode.Scalar) -> Bool)] {
            let refused = try Self.refused(by: try Self.patternText(ofSchema: schema), among: text)
            let disagreements = scalars.filter { refused.contains($0.value) != rule($0) }.map { "U+\(String($0.value, radix: 16, uppercase: true))" }
            let agree = disagreements.isEmpty
            #expect(agree, "\(schema): \(disagreements.prefix(20)) of \(disagreements.count)")
        }
        // The whole pattern, on a few texts: the class is all it says.
        let name = try Self.regex(try Self.patternText(ofSchema: "Name"))
        let callId = try Self.regex(try Self.patternText(ofSchema: "CallId"))
        func accepts(_ regex: NSRegularExpression, _ text: String) -> Bool { regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil }
        #expect(accepts(callId, "bob") && accepts(callId, "Zo\u{EB} \u{6771}\u{4EAC} \u{1F680}") && !accepts(callId, "bob\u{E0041}") && !accepts(callId, "bo\u{200C}b"))
        #expect(!accepts(callId, "") && !accepts(name, "") && accepts(name, "bob\u{E0041}\u{FE0F}") && !accepts(name, "a\u{202E}b"))
        // Every rule in the rule's places: the call's `workspaceId` is a `CallId`, and every
        // other pattern of caller text is `Name`'s.
        let callIdText = try Self.patternText(ofSchema: "CallId"), nameText = try Self.patternText(ofSchema: "Name")
        let lines = OpenAPIDocument.text.split(separator: "\n")
        let textPatterns = lines.filter { $0.contains(#"pattern: "^[^\\x00"#) }
        #expect(textPatterns.count == 6)
        for line in textPatterns {
            #expect(line.hasSuffix("pattern: \"\(callIdText)\"") || line.contains("pattern: \"\(nameText)\""), "\(line)")
        }
        #expect(textPatterns.filter { $0.contains(callIdText) }.count == 1)
        #expect(lines.filter { $0 == ##"        workspaceId: { allOf: [{ $ref: "#/components/schemas/CallId" }], maxLength: 128 }"## }.count == 2)
    }
}
