import TributeCore

/// The rules for a new API key that the API's `POST /v1/api-keys` and the dashboard's key
/// form share.
enum KeyInput {
    /// Why a key of `role` may not name `workspaceIds`, or `nil` when it may.
    static func scopeProblem(role: Role, workspaceIds: [String]) -> String? {
        if role == .viewer && workspaceIds.isEmpty { return "A viewer key must name its workspaces" }
        if role == .admin && !workspaceIds.isEmpty { return "An admin key acts on every workspace; name none" }
        return nil
    }
}
