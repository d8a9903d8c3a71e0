import TributeCore

/// The usage objects of the three largest LLM providers, mapped onto Tribute's disjoint token
/// kinds (SPEC §3.6, docs/pricing.md). The providers disagree on what their input and output
/// counts include; each mapping takes out what another kind counts, so that every token is
/// charged once, at its own rate.
extension TokenUsage {
    /// An OpenAI `usage` object: Chat Completions (`prompt_tokens`, `completion_tokens`,
    /// `prompt_tokens_details.cached_tokens`, `completion_tokens_details.reasoning_tokens`)
    /// or Responses (`input_tokens`, `output_tokens`, `input_tokens_details.cached_tokens`,
    /// `output_tokens_details.reasoning_tokens`).
    ///
    /// OpenAI's input count includes the cached tokens and its output count the reasoning
    /// tokens: both are taken out. OpenAI charges nothing extra to write its cache.
    /// - Returns: `nil` when the object is not one of these, or its parts are larger than
    ///   the counts that include them.
    public init?(openAI usage: JSON) {
        guard let input = usage.count("prompt_tokens") ?? usage.count("input_tokens"),
              let output = usage.count("completion_tokens") ?? usage.count("output_tokens") else { return nil }
        let cached = usage.count("prompt_tokens_details", "cached_tokens") ?? usage.count("input_tokens_details", "cached_tokens") ?? 0
        let reasoning = usage.count("completion_tokens_details", "reasoning_tokens") ?? usage.count("output_tokens_details", "reasoning_tokens") ?? 0
        guard cached <= input, reasoning <= output else { return nil }
        self.init(inputTokens: input - cached, cachedInputTokens: cached, outputTokens: output - reasoning, reasoningTokens: reasoning)
    }

    /// An Anthropic Messages `usage` object: `input_tokens`, `output_tokens`,
    /// `cache_read_input_tokens`, `cache_creation_input_tokens`.
    ///
    /// Anthropic's `input_tokens` already leaves out the tokens read from and written to its
    /// cache, which it counts apart; its output includes extended thinking, billed as output.
    public init?(anthropic usage: JSON) {
        guard let input = usage.count("input_tokens"), let output = usage.count("output_tokens") else { return nil }
        self.init(inputTokens: input, cachedInputTokens: usage.count("cache_read_input_tokens") ?? 0,
                  cacheWriteTokens: usage.count("cache_creation_input_tokens") ?? 0, outputTokens: output)
    }

    /// A Gemini `usageMetadata` object: `promptTokenCount`, `candidatesTokenCount`,
    /// `cachedContentTokenCount`, `thoughtsTokenCount`, `toolUsePromptTokenCount`.
    ///
    /// Gemini's prompt count includes the cached content, which is taken out; its thoughts
    /// are counted apart from the candidates (and billed as output: reasoning here); the
    /// tool-use prompt is input.
    public init?(gemini usage: JSON) {
        guard let prompt = usage.count("promptTokenCount") else { return nil }
        let cached = usage.count("cachedContentTokenCount") ?? 0
        guard cached <= prompt else { return nil }
        let toolUse = usage.count("toolUsePromptTokenCount") ?? 0
        self.init(inputTokens: prompt - cached + toolUse, cachedInputTokens: cached, outputTokens: usage.count("candidatesTokenCount") ?? 0,
                  reasoningTokens: usage.count("thoughtsTokenCount") ?? 0)
    }
}

private extension JSON {
    /// A whole count from 0 to `TokenUsage.maxTokens` at a path of object keys; `nil` when
    /// absent or not one (so that no sum of counts can overflow).
    func count(_ path: String...) -> Int64? {
        var value: JSON = self
        for key in path {
            guard let next = value.objectValue?[key] else { return nil }
            value = next
        }
        guard let count = value.int64Value, (0...TokenUsage.maxTokens).contains(count) else { return nil }
        return count
    }
}
