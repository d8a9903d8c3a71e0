/// The rule for a reversal's reason, shared by `POST /v1/transactions/{id}/reverse` and the
/// dashboard's reverse form.
enum ReversalInput {
    /// The longest reason an admin may give, in UTF-8 bytes.
    static var maxReasonBytes: Int { 500 }

    /// - Throws: 422 when absent, else as `FieldSource.string`.
    static func reason(from input: inout some FieldSource) throws -> String {
        guard let reason = try input.string("reason", maxLength: maxReasonBytes) else { throw APIError.invalid("reason is required") }
        return reason
    }
}
