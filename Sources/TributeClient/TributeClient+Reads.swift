import TributeCore

extension TributeClient {
    /// A workspace with its period, balance, allowance and what open holds hold.
    /// - Throws: `TributeClientError.server` with `workspaceNotFound`, `forbidden`; `.unavailable`.
    public func workspace(id: String) async throws -> Workspace {
        let answer = try await exchange.perform(WireRequest(method: .GET, path: "/v1/workspaces/\(Self.segment(id))"))
        return try Workspace(AnswerFields(answer.json, what: "workspace", status: answer.status))
    }

    /// The workspace's usage over the last `days` days (1 to 366), today included.
    /// - Throws: `TributeClientError.server` with `workspaceNotFound`, `invalidValue`; `.unavailable`.
    public func usage(workspaceId: String, days: Int = 30) async throws -> Usage {
        let answer = try await exchange.perform(WireRequest(method: .GET, path: "/v1/workspaces/\(Self.segment(workspaceId))/usage?days=\(days)"))
        return try Usage(AnswerFields(answer.json, what: "usage", status: answer.status))
    }

    /// A page of the workspace's decisions, newest first.
    /// - Parameters:
    ///   - limit: 1 to 500; the server's default (50) when `nil`.
    ///   - cursor: the `nextCursor` of the previous page.
    ///   - outcome: only approvals, or only denials.
    /// - Throws: `TributeClientError.server` with `workspaceNotFound`, `invalidValue`; `.unavailable`.
    public func decisions(workspaceId: String, limit: Int? = nil, cursor: String? = nil, outcome: DecisionOutcome? = nil) async throws -> DecisionPage {
        var query: [String] = []
        if let limit { query.append("limit=\(limit)") }
        if let cursor { query.append("cursor=\(Self.segment(cursor))") }
        if let outcome { query.append("outcome=\(outcome.rawValue)") }
        let path = "/v1/workspaces/\(Self.segment(workspaceId))/decisions" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        let answer = try await exchange.perform(WireRequest(method: .GET, path: path))
        return try DecisionPage(AnswerFields(answer.json, what: "decisions", status: answer.status))
    }
}
