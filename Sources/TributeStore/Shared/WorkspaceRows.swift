import TributeCore

/// The `workspaces` table as both stores read it: its columns listed once, decoded once.
/// Balances live on account rows and are read beside it by each backend.
enum WorkspaceRows {
    /// The columns `state` reads, in its order: from `workspaces` alone, so that PostgreSQL
    /// can lock the row with them (a locking query must not join, or PostgreSQL re-checks
    /// the join against the row's new version after the wait and may drop it).
    static let names = [
        "id", "name", "status", "anchor_date", "period_start", "period_end", "period_used_micros", "next_expiry_at", "created_at",
        "decision_head", "plan_id", "low_balance_threshold_micros", "next_hold_expiry_at",
        "auto_topup_state", "auto_topup_threshold_micros", "auto_topup_reason", "auto_topup_until", "rollover",
    ]
    static let columns = names.joined(separator: ", ")

    /// `columns`, each qualified by the table's alias in a query that joins.
    static func columns(of alias: String) -> String { names.map { "\(alias).\($0)" }.joined(separator: ", ") }

    /// A workspace from a row of `columns`, with the plan `plan` gives for its plan id and
    /// its balances zero.
    /// - Throws: `StoreFault.unknownValue` for a status or date Tribute never writes; what
    ///   `plan` throws.
    static func state(_ columns: inout some ColumnReader, plan planOf: (String) throws -> Plan) throws -> WorkspaceState {
        let id = try columns.text(), name = try columns.text()
        let status = try columns.value(WorkspaceStatus.self, column: "workspaces.status")
        let anchorText = try columns.text()
        guard let anchorDate = CivilDate(parsing: anchorText) else { throw StoreFault.unknownValue("workspaces.anchor_date", anchorText) }
        let period = BillingPeriod(start: try columns.int(), end: try columns.int())
        let periodUsed = try columns.amount(), nextExpiry = try columns.optionalInt(), createdAt = try columns.int()
        let head = try columns.text(), planId = try columns.text()
        let lowBalance = try columns.optionalInt(), nextHoldExpiry = try columns.optionalInt()
        var state = WorkspaceState(
            id: id, name: name, status: status, anchorDate: anchorDate, period: period, periodUsed: periodUsed, nextExpiryAtMillis: nextExpiry,
            createdAtMillis: createdAt, plan: try planOf(planId), wallet: .zero, allowance: .zero,
            lowBalanceThreshold: lowBalance.map(Amount.init(micros:)), decisionHead: head)
        state.nextHoldExpiryAtMillis = nextHoldExpiry
        state.autoTopup = try autoTopup(&columns)
        state.rollover = try rollover(try columns.optionalText())
        return state
    }
}

extension WorkspaceRows {
    /// The allowance a workspace carries (`AllowanceCarry.encoded`; NULL: none).
    /// - Throws: `StoreFault.unknownValue` for text Tribute never writes.
    static func rollover(_ text: String?) throws -> AllowanceCarry {
        guard let text else { return AllowanceCarry() }
        guard let carry = AllowanceCarry(decoding: text) else { throw StoreFault.unknownValue("workspaces.rollover", text) }
        return carry
    }

    /// Auto top-up's trigger from its four columns (all NULL while it is off; the threshold
    /// is kept when it is turned off, for the settings to show).
    static func autoTopup(_ columns: inout some ColumnReader) throws -> AutoTopup.Trigger? {
        let stateText = try columns.optionalText(), threshold = try columns.optionalInt()
        let reason = try columns.optionalText(), until = try columns.optionalInt()
        guard let stateText else { return nil }
        guard let state = AutoTopup.State(rawValue: stateText) else { throw StoreFault.unknownValue("workspaces.auto_topup_state", stateText) }
        return AutoTopup.Trigger(state: state, threshold: Amount(micros: threshold ?? 0), reason: reason, limitedUntilMillis: until)
    }

    /// Stores the trigger as the kernel left it (the threshold stays when it is turned off).
    static func setAutoTopup(_ trigger: AutoTopup.Trigger?, workspaceId: String) -> StoreStatement {
        guard let trigger else {
            return StoreStatement("UPDATE workspaces SET auto_topup_state = NULL WHERE id = ?", [.text(workspaceId)])
        }
        return StoreStatement(
            "UPDATE workspaces SET auto_topup_state = ?, auto_topup_threshold_micros = ?, auto_topup_reason = ?, auto_topup_until = ? WHERE id = ?",
            [.text(trigger.state.rawValue), .int(trigger.threshold.micros), .text(trigger.reason), .int(trigger.limitedUntilMillis), .text(workspaceId)])
    }
}

extension WorkspaceRows {
    /// What `PATCH /v1/workspaces/{id}` writes, the same on both backends: the name, the
    /// status and the low-balance threshold as given, and a move to another plan by the
    /// kernel's rule (`WorkspaceState.changePlan`: the allowance left becomes the new plan's
    /// less what the period used). `state` is the workspace locked and rolled into the
    /// current period; it leaves with the changes made.
    /// - Parameter plan: the plan `patch.planId` names, as the backend read it (`nil` when
    ///   the patch names none).
    /// - Throws: `TributeError.planNotFound` when the patch names a plan that does not exist;
    ///   `amountTooLarge`.
    static func patched(_ state: inout WorkspaceState, _ patch: WorkspacePatch, plan: Plan?, nowMillis: Int64) throws -> (transaction: PendingTransaction?, statements: [StoreStatement]) {
        var statements: [StoreStatement] = []
        if let name = patch.name {
            state.name = name
            statements.append(StoreStatement("UPDATE workspaces SET name = ? WHERE id = ?", [.text(name), .text(state.id)]))
        }
        if let status = patch.status {
            state.status = status
            statements.append(StoreStatement("UPDATE workspaces SET status = ? WHERE id = ?", [.text(status.rawValue), .text(state.id)]))
        }
        if let threshold = patch.lowBalanceThreshold {
            state.lowBalanceThreshold = threshold.isZero ? nil : threshold
            statements.append(StoreStatement("UPDATE workspaces SET low_balance_threshold_micros = ? WHERE id = ?",
                                             [.int(threshold.isZero ? nil : threshold.micros), .text(state.id)]))
        }
        var transaction: PendingTransaction?
        if let planId = patch.planId, planId != state.plan.id {
            guard let plan, plan.id == planId else { throw TributeError.planNotFound(planId) }
            transaction = try state.changePlan(to: plan, nowMillis: nowMillis, transactionId: Identifier.make("txn"))
            statements.append(StoreStatement("UPDATE workspaces SET plan_id = ? WHERE id = ?", [.text(planId), .text(state.id)]))
        }
        return (transaction, statements)
    }
}
