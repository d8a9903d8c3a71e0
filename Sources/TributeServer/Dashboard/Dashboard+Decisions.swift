import Hummingbird
import TributeCore
import TributeStore

/// A decision's explanation page, and the admin's reversal of its charge.
extension Dashboard {
    @Sendable func decision(_ request: Request, _ context: TributeContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let page = try await decisionPage(principal: principal, workspaceId: try context.requireWorkspaceId(),
                                          decisionId: try CorrectionRoutes<Store>.decisionId(context), notice: Flash.notice(request))
        return Dashboard.clearingFlash(Dashboard.html(page), of: request)
    }

    func decisionPage(principal: Principal, workspaceId: String, decisionId: String, notice: String?) async throws -> String {
        let explained = try await store.decision(workspaceId: workspaceId, id: decisionId)
        return DecisionPage(explained: explained, canReverse: principal.role == .admin, notice: notice).render(principal: principal)
    }

    /// Reverses the decision's transaction, as `POST /v1/transactions/{id}/reverse` does.
    /// The decision is looked up in the path's workspace, so a form can only reverse a charge
    /// of the workspace it names.
    @Sendable func reverseDecision(_ request: Request, _ context: TributeContext) async throws -> Response {
        let workspaceId = try context.requireWorkspaceId()
        let decisionId = try CorrectionRoutes<Store>.decisionId(context)
        return try await answerForm(request, context, page: { principal, notice in
            Dashboard.html(try await decisionPage(principal: principal, workspaceId: workspaceId, decisionId: decisionId, notice: notice))
        }, apply: { form, _ in
            let reason = try ReversalInput.reason(from: &form)
            let explained = try await store.decision(workspaceId: workspaceId, id: decisionId)
            guard let transactionId = explained.record.transactionId else { throw TributeError.notReversible("This decision moved nothing") }
            let reversal = try await store.reverseTransaction(id: transactionId, reason: reason)
            return FormOutcome(notice: "Reversed: transaction \(reversal.transaction.id) gave back what \(transactionId) took (decision \(reversal.decision.id)).",
                               redirectTo: "/workspaces/\(workspaceId)/decisions/\(decisionId)")
        })
    }
}
