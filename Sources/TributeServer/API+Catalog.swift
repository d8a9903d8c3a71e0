import Hummingbird
import TributeCore

extension API {
    func registerCatalog(_ routes: inout RouteTable) {
        routes.on("/v1/action-costs", .get) { request, _ in
            _ = try await auth.require(request, .anyRole)
            return API.json(API.list(try await store.actionCosts()))
        }
        routes.on("/v1/action-costs/{actionType}", .put) { request, context in
            _ = try await auth.require(request, .admin)
            let actionType = try API.actionType(context)
            var fields = try await API.fields(request)
            let baseCost = try fields.requiredAmount("baseCost", in: Amount.zero...API.maxUnitPrice)
            try fields.rejectUnknown()
            return API.json(try await store.setActionCost(actionType: actionType, baseCost: baseCost).json)
        }
        routes.on("/v1/action-costs/{actionType}/history", .get) { request, context in
            _ = try await auth.require(request, .admin)
            return API.json(API.list(try await store.actionCostHistory(actionType: try API.actionType(context))))
        }
        routes.on("/v1/plans", .get) { request, _ in
            _ = try await auth.require(request, .anyRole)
            return API.json(API.list(try await store.plans()))
        }
        routes.on("/v1/plans/{planId}", .put) { request, context in
            _ = try await auth.require(request, .admin)
            let planId = try API.parameter(context, "planId")
            guard Fields.isIdentifier(planId) else { throw APIError.invalid("planId may hold only letters, digits and - _ . :") }
            var fields = try await API.fields(request)
            let plan = Plan(
                id: planId, name: try fields.requiredString("name"),
                monthlyAllowance: try fields.requiredAmount("monthlyAllowance"),
                overagePolicy: try fields.choice("overagePolicy", OveragePolicy.self) ?? { throw APIError.malformed("overagePolicy is required") }(),
                overageRate: try fields.requiredAmount("overageRate", in: Amount.zero...API.maxUnitPrice),
                priceCents: try fields.integer("priceCents", in: API.planPriceCents) ?? { throw APIError.malformed("priceCents is required") }())
            try fields.rejectUnknown()
            return API.json(try await store.putPlan(plan).json)
        }
    }

    /// The largest base cost (actions) or overage rate (credits per action) an admin may set.
    static var maxUnitPrice: Amount { Amount(units: 1_000_000) }
    static var planPriceCents: ClosedRange<Int64> { 0...100_000_000_000 }

    /// An action type name from the path: upper-case letters, digits and `_`.
    static func actionType(_ context: TributeContext) throws -> String {
        let name = try parameter(context, "actionType")
        guard isActionType(name) else { throw APIError.invalid("An action type is 1 to 64 characters of A-Z, 0-9 and _") }
        return name
    }

    static func isActionType(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && name.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }
}
