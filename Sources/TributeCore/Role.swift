/// The roles an API key can have.
public enum Role: String, Sendable, CaseIterable {
    /// Everything, on every workspace.
    case admin
    /// Debits, holds and budgets, and reads, on its workspaces (all when it names none).
    case service
    /// Reads only, on the workspaces it names.
    case viewer
}
