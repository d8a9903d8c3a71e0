import TributeCore

// `AutoTopupAttempt.json` is in TributeCore: the `auto_topup.*` events that the stores write
// to the outbox carry it, and the API answers with the same object.
extension AutoTopupAttempt: JSONRepresentable {}

extension AutoTopupView: JSONRepresentable {
    /// `GET /v1/workspaces/{id}/auto-topup`: the settings (defaults before any were put),
    /// `state` (`off` while disabled), the card without its number, and the newest attempt.
    var json: JSON {
        var target: JSON = .null
        var mode = "threshold"
        if case .target(let amount)? = settings?.mode {
            mode = "target"
            target = .amount(amount)
        }
        return .object([
            "workspaceId": .string(workspaceId), "enabled": .bool(settings?.enabled ?? false), "packageId": .optional(settings?.packageId),
            "threshold": settings.map { .amount($0.threshold) } ?? .null, "mode": .string(mode), "target": target,
            "maxChargesPerDay": .int(Int64(settings?.limits.maxChargesPerDay ?? 5)),
            "maxCentsPerMonth": settings.map { .int($0.limits.maxCentsPerMonth) } ?? .null,
            "state": .string(state?.rawValue ?? "off"), "reason": .optional(reason), "spentThisMonthCents": .int(spentThisMonthCents),
            "chargesToday": .int(Int64(chargesToday)), "lastAttempt": lastAttempt?.json ?? .null,
            "paymentMethod": paymentMethod.map { .object(["brand": .string($0.brand), "last4": .string($0.last4)]) } ?? .null,
            "customerId": .optional(customerId),
        ])
    }
}
