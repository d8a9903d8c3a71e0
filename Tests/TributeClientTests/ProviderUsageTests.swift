import Foundation
import Testing
import TributeCore
@testable import TributeClient

/// The three providers' usage objects (docs/pricing.md) mapped onto Tribute's disjoint
/// token kinds, and charged by the real `tribute serve`: a cached token is charged once, at
/// the cached rate, whichever provider counted it.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ProviderUsageTests {
    /// The objects docs/pricing.md shows.
    static let openAI = #"{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920},"completion_tokens_details":{"reasoning_tokens":128}}"#
    static let openAIResponses = #"{"input_tokens":2006,"output_tokens":300,"total_tokens":2306,"input_tokens_details":{"cached_tokens":1920},"output_tokens_details":{"reasoning_tokens":128}}"#
    static let anthropic = #"{"input_tokens":50,"output_tokens":300,"cache_creation_input_tokens":248,"cache_read_input_tokens":1800}"#
    static let gemini = #"{"promptTokenCount":2100,"cachedContentTokenCount":2048,"candidatesTokenCount":250,"thoughtsTokenCount":400,"toolUsePromptTokenCount":30,"totalTokenCount":2780}"#

    static func json(_ text: String) throws -> JSON { try JSON.parse(Array(text.utf8)) }

    static func counts(_ usage: TokenUsage?) -> [Int64]? { usage.map { u in TokenKind.allCases.map { u[$0] } } }

    @Test func eachProvidersCountsAreTakenApartIntoDisjointKinds() throws {
        // input, cached, cache write, output, reasoning.
        #expect(Self.counts(TokenUsage(openAI: try Self.json(Self.openAI))) == [86, 1_920, 0, 172, 128])
        #expect(Self.counts(TokenUsage(openAI: try Self.json(Self.openAIResponses))) == [86, 1_920, 0, 172, 128])
        #expect(Self.counts(TokenUsage(anthropic: try Self.json(Self.anthropic))) == [50, 1_800, 248, 300, 0])
        #expect(Self.counts(TokenUsage(gemini: try Self.json(Self.gemini))) == [82, 2_048, 0, 250, 400])
        // Without caching or reasoning, the counts are the input and output as given.
        #expect(Self.counts(TokenUsage(openAI: try Self.json(#"{"prompt_tokens":10,"completion_tokens":3}"#))) == [10, 0, 0, 3, 0])
        #expect(Self.counts(TokenUsage(gemini: try Self.json(#"{"promptTokenCount":10}"#))) == [10, 0, 0, 0, 0])
    }

    @Test(arguments: [
        #"{"prompt_tokens":10,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":11}}"#,
        #"{"prompt_tokens":10,"completion_tokens":3,"completion_tokens_details":{"reasoning_tokens":4}}"#,
        #"{"prompt_tokens":-1,"completion_tokens":3}"#, #"{"prompt_tokens":1.5,"completion_tokens":3}"#, #"{"completion_tokens":3}"#,
        #"{"prompt_tokens":1000000001,"completion_tokens":3}"#, #"{"prompt_tokens":"10","completion_tokens":3}"#, "[]",
    ])
    func anOpenAIObjectThatContradictsItselfIsNoUsage(text: String) throws {
        #expect(TokenUsage(openAI: try Self.json(text)) == nil)
    }

    @Test func anInconsistentAnthropicOrGeminiObjectIsNoUsage() throws {
        #expect(TokenUsage(anthropic: try Self.json(#"{"output_tokens":3}"#)) == nil)
        #expect(TokenUsage(gemini: try Self.json(#"{"promptTokenCount":10,"cachedContentTokenCount":11}"#)) == nil)
        #expect(TokenUsage(gemini: try Self.json(#"{"promptTokenCount":1000000000,"toolUsePromptTokenCount":1}"#)) == nil)
    }

    @Test func aCachedTokenIsChargedOnceAtTheCachedRateWhicheverProviderCountedIt() async throws {
        try await withServer { server, admin in
            // Per million: input 2, cached 0.5, cache write 2.5, output and reasoning 8.
            try await admin.setTokenRates("LLM", #"{"inputTokens":2,"cachedInputTokens":0.5,"cacheWriteTokens":2.5,"outputTokens":8,"reasoningTokens":8}"#)
            let tribute = client(realTransport(server, key: admin.key))
            let cases: [(String, TokenUsage?, String)] = [
                // 86 × 2 + 1,920 × 0.5 + (172 + 128) × 8 = 3,532 micro-actions. Counting the
                // cached tokens as input too would make it 7,372.
                ("OpenAI", TokenUsage(openAI: try Self.json(Self.openAI)), "0.003532"),
                // 50 × 2 + 1,800 × 0.5 + 248 × 2.5 + 300 × 8 = 4,020.
                ("Anthropic", TokenUsage(anthropic: try Self.json(Self.anthropic)), "0.00402"),
                // 82 × 2 + 2,048 × 0.5 + (250 + 400) × 8 = 6,388. As input, the cached 2,048 would add 3,072 more.
                ("Gemini", TokenUsage(gemini: try Self.json(Self.gemini)), "0.006388"),
            ]
            for (provider, usage, charged) in cases {
                let decision = try await tribute.authorizeAndDebit(workspaceId: "acme", actionType: "LLM", usage: try #require(usage))
                #expect(decision.success && decision.actionsCharged == .of(charged), "\(provider): \(decision.actionsCharged)")
            }
            // A hold of the prompt and `max_tokens`, committed at the provider's usage.
            let commit = try await tribute.withHold(workspaceId: "acme", actionType: "LLM", usage: TokenUsage(inputTokens: 2_006, outputTokens: 4_096)) { hold in
                #expect(hold.actionsCharged == .of("0.03678"))
                return .usage(try #require(TokenUsage(openAI: try Self.json(Self.openAI))))
            }
            #expect(commit.actionsCharged == .of("0.003532") && commit.remainingHeld == .zero)
            #expect(try await admin.balances("acme").held == .zero)
        }
    }
}
