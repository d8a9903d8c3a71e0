import TributeCore

/// The rules for a workspace, its credit grants and its budgets, shared by the API's JSON
/// routes (`WorkspaceRoutes`) and the dashboard's admin forms, so that a value one refuses
/// the other refuses too, with the same message.
enum WorkspaceInput {
    /// A new workspace: `id` (optional, else one is made), `name`, `planId`, `anchorDate`
    /// (`YYYY-MM-DD`, optional: today).
    /// - Throws: 400 for a missing or mistyped value, 422 for one out of its range.
    static func draft(from input: inout some FieldSource) throws -> WorkspaceDraft {
        let id = try input.identifier("id")
        let name = try input.requiredString("name")
        guard let planId = try input.identifier("planId") else { throw APIError.malformed("planId is required") }
        var anchor: CivilDate?
        if let anchorText = try input.string("anchorDate", maxLength: 10) {
            guard let date = CivilDate(parsing: anchorText) else { throw APIError.invalid("anchorDate must be a date YYYY-MM-DD") }
            anchor = date
        }
        return WorkspaceDraft(id: id, name: name, planId: planId, anchorDate: anchor)
    }

    /// A change to a workspace: any of `planId`, `status`, `name`, `lowBalanceThreshold`.
    static func patch(from input: inout some FieldSource) throws -> WorkspacePatch {
        WorkspacePatch(planId: try input.identifier("planId"), status: try input.choice("status", WorkspaceStatus.self),
                       name: try input.string("name", maxLength: 200), lowBalanceThreshold: try input.amount("lowBalanceThreshold", in: Amount.zero...Amount.max))
    }

    /// A grant: `amount` (more than 0), `expiresAt` (an ISO 8601 UTC time or a date, which
    /// means its midnight UTC; optional: never), `note`, and its terms (SPEC §3.9):
    /// `category` (default `promotional`), `priority` (0–100, default 50), `costBasisCents`
    /// (default 0) and `effectiveAt` (not in the future; default now).
    static func grant(from input: inout some FieldSource) throws -> CreditGrantDraft {
        let amount = try input.requiredAmount("amount", in: Amount(micros: 1)...Amount.max)
        let expiresAtMillis = try time("expiresAt", &input)
        return CreditGrantDraft(
            amount: amount, expiresAt: expiresAtMillis, note: try input.string("note", maxLength: 500),
            category: try input.choice("category", GrantCategory.self) ?? .promotional,
            priority: Int(try input.integer("priority", in: Int64(GrantTerms.priorityRange.lowerBound)...Int64(GrantTerms.priorityRange.upperBound))
                ?? Int64(GrantTerms.defaultPriority)),
            costBasisCents: try input.integer("costBasisCents", in: 0...CreditPackage.priceCentsRange.upperBound * 1_000) ?? 0,
            effectiveAt: try time("effectiveAt", &input))
    }

    /// An ISO 8601 UTC time (or a date: its midnight UTC).
    private static func time(_ name: String, _ input: inout some FieldSource) throws -> Int64? {
        guard let text = try input.string(name, maxLength: 40) else { return nil }
        guard let millis = ISOTime.parse(text) else { throw APIError.invalid("\(name) must be an ISO 8601 UTC time, e.g. 2030-01-01T00:00:00Z") }
        return millis
    }

    /// A budget's terms: `limit`, `unit` and `period`, all required.
    static func budget(from input: inout some FieldSource) throws -> (limit: Amount, unit: BudgetUnit, period: BudgetPeriod) {
        (try input.requiredAmount("limit"), try input.requiredChoice("unit", BudgetUnit.self), try input.requiredChoice("period", BudgetPeriod.self))
    }

    static let scopeForms = "user:<id>, agent:<id>, run:<id>, key:<keyId> or workspace"

    /// A budget scope written `user:<id>`, `agent:<id>`, `run:<id>`, `key:<keyId>` or
    /// `workspace`, its id by the rule of the ids a call carries (`Fields.checkId`).
    /// - Throws: 422 for any other text.
    static func scope(_ text: String) throws -> BudgetScope {
        guard let scope = BudgetScope(parsing: text) else { throw APIError.invalid("scope must be \(scopeForms)") }
        if scope.kind != .workspace { try Fields.checkId(scope.id, name: "scope", maxBytes: 200) }
        return scope
    }

    /// A `key:` or `workspace` budget caps the keys that could otherwise change it (an agent's
    /// service key): only an admin key sets or removes one.
    /// - Throws: 403.
    static func checkMayChange(_ scope: BudgetScope, by principal: Principal) throws {
        guard scope.kind == .key || scope.kind == .workspace, principal.role != .admin else { return }
        throw APIError.forbidden("Only an admin key sets or removes a \(scope.kind.rawValue) budget: it caps the keys that could change it")
    }

    /// A `key:` scope must name a live key that may use the workspace: a budget that no call
    /// can ever meet is refused rather than kept. Other scopes pass.
    /// - Parameter keys: the live keys (a capped list: `TRIBUTE_MAX_API_KEYS`).
    /// - Throws: 404 `api_key_not_found`; 422 for a key scoped to other workspaces.
    static func checkKeyScope(_ scope: BudgetScope, workspaceId: String, keys: () async throws -> [APIKeyView]) async throws {
        guard scope.kind == .key else { return }
        guard let key = try await keys().first(where: { $0.id == scope.id }) else { throw APIError(.apiKeyNotFound(scope.id)) }
        guard key.workspaceIds.isEmpty || key.workspaceIds.contains(workspaceId) else {
            throw APIError.invalid("Key \(scope.id) may not use workspace \(workspaceId), so its budget there would never apply")
        }
    }

    /// A budget scope as the store may hold one, to delete it: also a scope written before
    /// `scope`'s rule refused some of its characters (U+202E, say), so that such a budget,
    /// which no call can match any more, can still be removed and make room.
    /// - Throws: 422 for text that is no scope at all.
    static func existingScope(_ text: String) throws -> BudgetScope {
        guard let scope = BudgetScope(parsing: text) else { throw APIError.invalid("scope must be \(scopeForms)") }
        return scope
    }
}
