import Foundation
import TributeCore

extension Fields {
    /// A key's `rateLimit`: `{"perSecond": N, "burst": N}`, two whole numbers in
    /// `RateLimit.valueRange` and nothing else, or the string `"default"`, which drops the
    /// key's own limit so that it follows the server's default.
    /// - Throws: 400 for a wrong type, a missing or unknown member; 422 for a value out of
    ///   range or not whole. Messages name the member (`rateLimit: perSecond must be …`).
    mutating func rateLimit(_ name: String) throws -> APIKeyPatch.RateLimitChange? {
        guard let value = try json(name) else { return nil }
        if case .string("default") = value { return .useDefault }
        guard case .object = value else {
            throw APIError.malformed("\(name) must be an object {\"perSecond\", \"burst\"} or \"default\", not \(value.typeName)")
        }
        do {
            // The value came out of a parsed body, so it parses again as one.
            var members = try Fields(body: Array(value.serialized.utf8))
            let perSecond = try members.integer("perSecond", in: RateLimit.valueRange)
            let burst = try members.integer("burst", in: RateLimit.valueRange)
            try members.rejectUnknown()
            guard let perSecond, let burst else { throw APIError.malformed("perSecond and burst are both required") }
            guard let limit = RateLimit(perSecond: perSecond, burst: burst) else { throw APIError.invalid("perSecond and burst are out of range") }
            return .set(limit)
        } catch let error as APIError {
            throw APIError(status: error.status, code: error.code, message: "\(name): \(error.message)")
        }
    }
}

extension RateLimit {
    /// A limit from the dashboard's two form inputs, by the API's rules: both empty is none
    /// (the server's default); otherwise both are whole numbers in `valueRange`.
    /// - Throws: 422 naming what is wrong.
    static func form(perSecond perSecondText: String?, burst burstText: String?) throws -> RateLimit? {
        let perSecondText = perSecondText?.trimmingCharacters(in: .whitespaces) ?? ""
        let burstText = burstText?.trimmingCharacters(in: .whitespaces) ?? ""
        if perSecondText.isEmpty && burstText.isEmpty { return nil }
        guard let limit = RateLimit(configuration: "\(perSecondText):\(burstText)") else {
            throw APIError.invalid("A rate limit is calls per second and a burst, both whole numbers from 1 to \(RateLimit.maxValue); leave both empty for the default")
        }
        return limit
    }
}
