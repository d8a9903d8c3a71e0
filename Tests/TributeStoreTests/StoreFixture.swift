import Foundation
import TributeTestSupport
import TributeCore
import TributeStore

/// Reads a field of an authorize answer.
func field(_ body: String, _ name: String) -> JSON? {
    (try? JSON.parse(Array(body.utf8)))?.objectValue?[name]
}

func amountField(_ body: String, _ name: String) -> Amount? {
    guard case .number(let text)? = field(body, name) else { return nil }
    return try? Amount.parse(text)
}

extension TributeStore {
    /// A workspace on `plan` with `credits` granted.
    @discardableResult
    func makeWorkspace(_ id: String, plan: String = "prepaid", credits: Amount = .zero) async throws -> WorkspaceView {
        let view = try await createWorkspace(WorkspaceDraft(id: id, name: id, planId: plan, anchorDate: nil))
        if !credits.isZero { _ = try await grantCredits(workspaceId: id, grant: CreditGrantDraft(amount: credits, expiresAt: nil, note: nil)) }
        return view
    }

    func expectLedgerHolds() async throws -> LedgerReport {
        let report = try await verifyLedger()
        if let violation = report.firstViolation { throw LedgerBroken(violation: violation) }
        return report
    }
}

struct LedgerBroken: Error, CustomStringConvertible {
    let violation: String
    var description: String { "ledger broken: \(violation)" }
}
