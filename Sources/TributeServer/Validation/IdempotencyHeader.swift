import HTTPTypes
import Hummingbird
import TributeCore

/// The `Idempotency-Key` header of a write that may be retried (SPEC §2): the key, and a
/// hash of what it claims, so that a key that comes back with another request is refused.
enum IdempotencyHeader {
    static let name = HTTPField.Name("Idempotency-Key")!

    /// The request's key with a hash over `scope` and `canonical`.
    ///
    /// `scope` names the route and, where the route acts on something in its path, that
    /// thing (`"hold-commit\n" + holdId`): a key reused on another route, or on another hold,
    /// hashes differently and is `409 idempotency_key_reused`.
    /// `canonical` is built only when the header is there: most debits carry none, and the
    /// hot path should not pay for a dictionary it throws away.
    /// - Returns: `nil` without the header.
    /// - Throws: 400 for a key that is not 1 to 255 visible ASCII characters.
    static func claim(_ request: Request, scope: @autoclosure () -> String, canonical: @autoclosure () -> JSON) throws -> IdempotencyClaim? {
        guard let key = request.headers[name] else { return nil }
        guard !key.isEmpty, key.utf8.count <= 255, key.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else {
            throw APIError.malformed("Idempotency-Key must be 1 to 255 visible ASCII characters")
        }
        return IdempotencyClaim(key: key, requestHash: Hex.sha256(scope() + "\n" + canonical().serialized))
    }

    /// `Idempotent-Replayed: true` on an answer replayed from an earlier request.
    static func headers(replayed: Bool) -> HTTPFields {
        var headers: HTTPFields = [:]
        if replayed { headers[HTTPField.Name("Idempotent-Replayed")!] = "true" }
        return headers
    }
}
