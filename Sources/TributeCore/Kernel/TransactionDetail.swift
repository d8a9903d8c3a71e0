/// What a transaction's postings do not say and a statement needs (SPEC §3.9), stored
/// beside the transaction as short canonical text: which grants an expiry emptied (their
/// categories split the credits that lapsed), and how much allowance a period close
/// carried (the period's rollover in).
public enum TransactionDetail: Sendable, Equatable {
    /// `grants:<id>=<micros>,…`: what each grant held when it expired.
    case expired([GrantDraw])
    /// `carry:<boundary>=<micros>`: the rollover a close kept, at the period boundary
    /// (Unix seconds) it closed.
    case carried(Amount, boundary: Int64)

    public var encoded: String {
        switch self {
        case .expired(let slices): "grants:" + slices.map { "\($0.grantId)=\($0.amount.micros)" }.joined(separator: ",")
        case .carried(let amount, let boundary): "carry:\(boundary)=\(amount.micros)"
        }
    }

    /// - Returns: `nil` for text Tribute never writes.
    public init?(decoding text: String) {
        if text.hasPrefix("grants:") {
            var slices: [GrantDraw] = []
            for part in text.dropFirst("grants:".count).split(separator: ",") {
                guard let equals = part.lastIndex(of: "="), let micros = Int64(part[part.index(after: equals)...]), micros > 0, micros <= Amount.max.micros
                else { return nil }
                slices.append(GrantDraw(grantId: String(part[..<equals]), amount: Amount(micros: micros)))
            }
            self = .expired(slices)
        } else if text.hasPrefix("carry:") {
            let body = text.dropFirst("carry:".count)
            guard let equals = body.firstIndex(of: "="), let boundary = Int64(body[..<equals]), let micros = Int64(body[body.index(after: equals)...]),
                  micros >= 0, micros <= Amount.max.micros else { return nil }
            self = .carried(Amount(micros: micros), boundary: boundary)
        } else {
            return nil
        }
    }
}
