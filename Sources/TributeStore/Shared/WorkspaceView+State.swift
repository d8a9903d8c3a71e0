import TributeCore

extension WorkspaceView {
    /// The view of a workspace as the kernel projects it for a read (`WorkspaceState.projected`).
    init(_ state: WorkspaceState) {
        self.init(
            id: state.id, name: state.name, planId: state.plan.id, status: state.status, anchorDate: state.anchorDate, period: state.period,
            remainingAllowance: state.allowance, remainingBalance: state.wallet, heldAmount: state.heldCredits, heldAllowance: state.heldAllowance, createdAtMillis: state.createdAtMillis,
            lowBalanceThreshold: state.lowBalanceThreshold)
        rollover = state.rollover.lots
    }
}
