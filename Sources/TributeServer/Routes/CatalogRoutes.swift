import Hummingbird
import TributeCore
import TributeStore

/// The catalog: what each action type costs, and the plans. Every key may read the current
/// catalog; only an admin changes it or reads a cost's history.
struct CatalogRoutes<Store: TributeStore>: Sendable {
    let store: Store
    let auth: Auth<Store>

    var endpoints: RouteCollection<TributeContext> {
        let routes = RouteCollection(context: TributeContext.self)
        routes.group().add(middleware: auth.requireKey(.anyRole))
            .get("/v1/action-costs", use: actionCosts)
            .get("/v1/plans", use: plans)
        routes.group().add(middleware: auth.requireKey(.admin))
            .put("/v1/action-costs/{actionType}", use: putActionCost)
            .get("/v1/action-costs/{actionType}/history", use: actionCostHistory)
            .put("/v1/plans/{planId}", use: putPlan)
        return routes
    }

    @Sendable func actionCosts(_ request: Request, _ context: TributeContext) async throws -> Response {
        API.json(API.list(try await store.actionCosts()))
    }

    @Sendable func putActionCost(_ request: Request, _ context: TributeContext) async throws -> Response {
        let actionType = try ActionCostInput.actionType(try API.parameter(context, "actionType"))
        var fields = try await API.fields(request)
        let price = try ActionCostInput.price(from: &fields)
        try fields.rejectUnknown()
        return API.json(try await store.setActionCost(actionType: actionType, baseCost: price.baseCost, tokenRates: price.tokenRates).json)
    }

    @Sendable func actionCostHistory(_ request: Request, _ context: TributeContext) async throws -> Response {
        let actionType = try ActionCostInput.actionType(try API.parameter(context, "actionType"))
        return API.json(API.list(try await store.actionCostHistory(actionType: actionType)))
    }

    @Sendable func plans(_ request: Request, _ context: TributeContext) async throws -> Response {
        API.json(API.list(try await store.plans()))
    }

    @Sendable func putPlan(_ request: Request, _ context: TributeContext) async throws -> Response {
        let planId = try PlanInput.id(try API.parameter(context, "planId"))
        var fields = try await API.fields(request)
        var plan = try PlanInput.plan(id: planId, from: &fields)
        plan.rollover = try PlanInput.rollover(from: &fields)
        try PlanInput.checkRollover(plan)
        try fields.rejectUnknown()
        return API.json(try await store.putPlan(plan).json)
    }
}
