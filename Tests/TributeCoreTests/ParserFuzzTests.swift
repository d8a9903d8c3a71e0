import PropertyBased
import Testing
@testable import TributeCore

/// Every parser a request reaches, fed random text: each must answer or refuse, never trap.
/// Inputs mix the characters that matter to each grammar with arbitrary Unicode, and
/// mutations of valid inputs, so that near-misses are covered as well as noise.
@Suite struct ParserFuzzTests {
    static let alphabet = Array("0123456789+-.eE:,=tv1_xyzTZ\"{}[] \\/nul\u{0}\u{7F}é😀\u{0301}")
    static let text = Gen.int(in: 0..<alphabet.count).array(of: 0...60).map { String($0.map { alphabet[$0] }) }
    static let valid = [
        #"{"workspaceId":"w","actionType":"SIMPLE_LLM","costMultiplier":1.5,"context":{"a":[1,2,{"b":null}]}}"#,
        "2026-03-10T12:00:00.123Z", "t=1700000000,v1=" + String(repeating: "ab", count: 32), "12-345", "user:ada", "1.000001e3",
    ]
    /// A valid input with a few characters replaced, inserted or removed.
    static let mutated = zip(Gen.int(in: 0..<valid.count), Gen.int(in: 0...200).array(of: 1...4), Gen.int(in: 0..<alphabet.count)).map { index, positions, replacement -> String in
        var characters = Array(valid[index])
        for position in positions where !characters.isEmpty {
            let at = position % characters.count
            switch position % 3 {
            case 0: characters[at] = alphabet[replacement]
            case 1: characters.insert(alphabet[replacement], at: at)
            default: characters.remove(at: at)
            }
        }
        return String(characters)
    }

    @Test func parsersNeverTrapOnRandomText() async {
        await propertyCheck(count: 3_000, input: ParserFuzzTests.text) { text in ParserFuzzTests.parseEverything(text) }
    }

    @Test func parsersNeverTrapOnMutatedValidInputs() async {
        await propertyCheck(count: 3_000, input: ParserFuzzTests.mutated) { text in ParserFuzzTests.parseEverything(text) }
    }

    @Test func jsonNeverTrapsOnRandomBytes() async {
        await propertyCheck(count: 2_000, input: Gen.uint8(in: 0...255).array(of: 0...80)) { bytes in
            _ = try? JSON.parse(bytes)
        }
    }

    static func parseEverything(_ text: String) {
        _ = try? JSON.parse(Array(text.utf8))
        _ = try? Amount.parse(text)
        _ = ISOTime.parse(text)
        _ = CivilDate(parsing: text)
        _ = StreamPosition(parsing: text)
        _ = BudgetScope(parsing: text)
        _ = RateLimit(configuration: text)
        _ = IPAddress(dottedDecimal: text)
        _ = IPAddress(ipv6: text)
        _ = try? WebhookSignature.verify(payload: Array(text.utf8), header: text, secret: "whsec_test", nowSeconds: 1_700_000_000)
    }
}
