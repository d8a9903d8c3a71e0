/// A period's statement as written once (SPEC §3.9): its canonical JSON body and digest.
public struct StoredStatement: Sendable, Equatable {
    public var number: Int
    /// Unix milliseconds, `[from, to)`.
    public var fromMillis: Int64
    public var toMillis: Int64
    /// `CreditStatement.canonicalBody` when it was cut.
    public var body: String
    public var digest: String
    public var createdAtMillis: Int64

    public init(number: Int, fromMillis: Int64, toMillis: Int64, body: String, digest: String, createdAtMillis: Int64) {
        self.number = number
        self.fromMillis = fromMillis
        self.toMillis = toMillis
        self.body = body
        self.digest = digest
        self.createdAtMillis = createdAtMillis
    }

    /// The statement as the API answers it: the body with its digest.
    public var json: String { CreditStatement.json(body: body, digest: digest) }
}
