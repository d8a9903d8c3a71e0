import TributeCore

extension Principal {
    /// The one check that a key may act on a workspace, wherever the request names it: in
    /// the path (`RequireCaller`) or in the body (authorize-and-debit).
    /// - Throws: 403 unless the key may.
    func checkAccess(toWorkspace workspaceId: String) throws {
        guard canAccess(workspaceId: workspaceId) else {
            throw APIError.forbidden("This key may not act on workspace \"\(workspaceId)\"")
        }
    }
}
