/// Whether a workspace may act.
public enum WorkspaceStatus: String, Sendable, CaseIterable {
    case active
    case suspended
}
