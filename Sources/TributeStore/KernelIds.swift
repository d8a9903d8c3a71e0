import TributeCore

extension Kernel.Ids {
    /// Fresh ids for one call, made on the caller's thread.
    static func make() -> Kernel.Ids {
        Kernel.Ids(decision: Identifier.make("dec"), transaction: Identifier.make("txn"), roll: Identifier.make("txn"),
                   expiry: Identifier.make("txn"), netting: Identifier.make("txn"))
    }
}
