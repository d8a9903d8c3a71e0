import TributeCore

/// A value the HTTP API shows, with its JSON body. Times are ISO 8601 UTC text.
///
/// The conformances live here, at the HTTP edge, not on the domain types in TributeCore:
/// a body is the API's contract, not the domain's. The exceptions are encodings a store
/// writes into the database (`EventRecord.json`, and `Purchase.json` inside the
/// `credits.*` events' data); those stay in TributeCore and are only declared here.
protocol JSONRepresentable: Sendable {
    /// The response body, or this value's part of one.
    var json: JSON { get }
}

// `Purchase.json` is in TributeCore: the payment step puts it into the data of the
// `credits.purchased` and `credits.refunded` events that the stores write to the outbox,
// and the API answers with the same object.
extension Purchase: JSONRepresentable {}
