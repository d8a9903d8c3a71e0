import Hummingbird
import TributeCore
import TributeStore

/// Corrections and explanations (SPEC §3.5): any key allowed on a workspace may read why a
/// decision charged what it did; only an admin reverses a charge.
struct CorrectionRoutes<Store: TributeStore>: Sendable {
    let store: Store
    let auth: Auth<Store>

    var endpoints: RouteCollection<TributeContext> {
        let routes = RouteCollection(context: TributeContext.self)
        routes.group().add(middleware: auth.requireKey(.anyRole, workspaceFrom: "id"))
            .get("/v1/workspaces/{id}/decisions/{decisionId}", use: explain)
        routes.group().add(middleware: auth.requireKey(.admin))
            .post("/v1/transactions/{transactionId}/reverse", use: reverse)
        return routes
    }

    @Sendable func explain(_ request: Request, _ context: TributeContext) async throws -> Response {
        let workspaceId = try context.requireWorkspaceId()
        return API.json(try await store.decision(workspaceId: workspaceId, id: try Self.decisionId(context)).json)
    }

    /// The decision id of the path; one that is no identifier names no decision.
    static func decisionId(_ context: TributeContext) throws -> String {
        let id = try API.parameter(context, "decisionId")
        guard Fields.isIdentifier(id) else { throw APIError(.decisionNotFound(id)) }
        return id
    }

    @Sendable func reverse(_ request: Request, _ context: TributeContext) async throws -> Response {
        let transactionId = try API.parameter(context, "transactionId")
        guard Fields.isIdentifier(transactionId) else { throw APIError(.transactionNotFound(transactionId)) }
        var fields = try await API.fields(request)
        let reason = try ReversalInput.reason(from: &fields)
        try fields.rejectUnknown()
        let reversal = try await store.reverseTransaction(id: transactionId, reason: reason)
        return API.json(.object(["transaction": reversal.transaction.json, "decision": reversal.decision.json]))
    }
}
