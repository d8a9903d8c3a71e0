import TributeCore

// `HoldRecord.jsonValue` is in TributeCore: the stores write the release answer, made of
// it, with its idempotency key. The API shows a hold the same way everywhere.
extension HoldRecord: JSONRepresentable {
    /// A hold, as `GET /v1/holds/{id}`, the holds list and extend show it.
    var json: JSON { jsonValue }
}
