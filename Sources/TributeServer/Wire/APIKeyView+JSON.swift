import TributeCore

extension APIKeyView: JSONRepresentable {
    /// A key's public record (never its secret), as `/v1/api-keys` lists it.
    var json: JSON { .object(fields) }

    /// The record's fields, for an answer that adds to them (the new key's secret).
    var fields: [String: JSON] {
        [
            "id": .string(id), "role": .string(role.rawValue), "workspaceIds": .array(workspaceIds.map { .string($0) }),
            "name": .optional(name), "createdAt": .timestamp(millis: createdAtMillis), "prefix": .string(prefix),
            "rateLimit": rateLimit?.json ?? .null, "status": .string(status.rawValue),
        ]
    }
}

extension RateLimit: JSONRepresentable {
    /// `{"perSecond", "burst"}`, as a key's `rateLimit` shows it.
    var json: JSON { .object(["perSecond": .number(String(perSecond)), "burst": .number(String(burst))]) }
}
