import TributeCore

extension Kernel.Ids {
    /// Fresh ids for one call: the decision's made now, on the caller's thread; any other
    /// only if the call needs one.
    static func make() -> Kernel.Ids {
        Kernel.Ids(decision: Identifier.make("dec"), next: { Identifier.make($0) })
    }
}
