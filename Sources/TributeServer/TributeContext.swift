import Hummingbird
import NIOCore
import TributeCore

/// The request context of every route: Hummingbird's basic one, the connection the request
/// came on (a live stream closes it when its client stops reading), and what the route's
/// access middleware (`RequireCaller`) established, so that no handler checks it again.
public struct TributeContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The request's connection (in `.router` tests, a test channel).
    public let channel: any Channel
    /// The caller, once the route's access middleware admitted it; `nil` on open routes.
    public internal(set) var principal: Principal?
    /// The workspace the path names, once the access middleware checked that `principal`
    /// may act on it; `nil` on routes that name none in their path.
    public internal(set) var workspaceId: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

extension TributeContext {
    /// The caller the route's access middleware admitted.
    /// - Throws: `RouteWiringError` (a 500) on a route registered without one: a bug in the
    ///   route's collection, never the caller's doing.
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw RouteWiringError(missing: "a caller", path: endpointPath) }
        return principal
    }

    /// The path's workspace, checked against the caller by the access middleware.
    /// - Throws: `RouteWiringError` (a 500) on a route whose middleware does not check one.
    func requireWorkspaceId() throws -> String {
        guard let workspaceId else { throw RouteWiringError(missing: "a checked workspace", path: endpointPath) }
        return workspaceId
    }
}

/// A handler asked for what its route's middleware does not establish: the route was added
/// to the wrong group. The error middleware logs it and answers 500, revealing nothing.
struct RouteWiringError: Error, CustomStringConvertible {
    let missing: String
    let path: String?

    var description: String { "The route \(path ?? "?") has no access middleware that establishes \(missing)" }
}
