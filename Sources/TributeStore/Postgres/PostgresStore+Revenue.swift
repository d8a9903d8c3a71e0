import PostgresNIO
import TributeCore

extension PostgresStore {
    public func revenue(fromMillis: Int64, toMillis: Int64) async throws -> [RevenueLedger.Line] {
        try StatementCuts.checkRange(fromMillis: fromMillis, toMillis: toMillis)
        return try await snapshot(deadlineSeconds: 600) { connection in
            let grants = try await connection.all(RevenueRows.grants(toMillis: toMillis), RevenueRows.decodeGrant)
            var lines: [RevenueLedger.Line] = []
            for (workspaceId, owned) in Dictionary(grouping: grants, by: \.workspaceId).sorted(by: { $0.key < $1.key }) {
                var ledger = RevenueLedger(workspaceId: workspaceId, fromMillis: fromMillis, toMillis: toMillis)
                for grant in owned { ledger.grant(id: grant.id, costCents: grant.costCents, amount: grant.amount, createdAtMillis: grant.createdAtMillis) }
                try await connection.each(RevenueRows.charges(workspaceId, toMillis: toMillis)) { try RevenueRows.feedCharge(&$0, into: &ledger) }
                try await connection.each(RevenueRows.expiries(workspaceId, toMillis: toMillis)) { try RevenueRows.feedExpiry(&$0, into: &ledger) }
                try await connection.each(RevenueRows.refunds(workspaceId, toMillis: toMillis)) { try RevenueRows.feedRefund(&$0, into: &ledger) }
                lines.append(try ledger.line())
            }
            return lines
        }
    }
}
