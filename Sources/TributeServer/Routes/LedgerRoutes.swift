import Hummingbird
import TributeCore
import TributeStore

/// What a workspace's ledger holds: its transactions, its decisions and its usage. Every
/// key allowed on the workspace may read them.
struct LedgerRoutes<Store: TributeStore>: Sendable {
    let store: Store
    let auth: Auth<Store>

    var endpoints: RouteCollection<TributeContext> {
        let routes = RouteCollection(context: TributeContext.self)
        routes.group().add(middleware: auth.requireKey(.anyRole, workspaceFrom: "id"))
            .get("/v1/workspaces/{id}/transactions", use: transactions)
            .get("/v1/workspaces/{id}/decisions", use: decisions)
            .get("/v1/workspaces/{id}/usage", use: usage)
        return routes
    }

    @Sendable func transactions(_ request: Request, _ context: TributeContext) async throws -> Response {
        let paging = try API.paging(request)
        return API.page(try await store.transactions(workspaceId: try context.requireWorkspaceId(), limit: paging.limit, cursor: paging.cursor))
    }

    /// `?outcome=approved|denied` keeps one kind.
    @Sendable func decisions(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try context.requireWorkspaceId()
        let paging = try API.paging(request)
        var approved: Bool?
        switch request.uri.queryParameters.get("outcome") {
        case nil: approved = nil
        case "approved": approved = true
        case "denied": approved = false
        default: throw APIError.invalid("outcome must be approved or denied")
        }
        return API.page(try await store.decisions(workspaceId: id, limit: paging.limit, cursor: paging.cursor, approved: approved))
    }

    /// `?days=N` (1...366, default 30) ending today (UTC), or `?from=&to=` (dates or UTC
    /// times; a date as `to` includes that day). Given `from` or `to`, a missing `to` is the
    /// end of today and a missing `from` is `days` before `to`. JSON, or CSV with
    /// `?format=csv` or `Accept: text/csv`.
    @Sendable func usage(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try context.requireWorkspaceId()
        let query = request.uri.queryParameters
        let dayMillis: Int64 = 86_400_000
        var days: Int64 = 30
        if let text = query.get("days") {
            guard let value = Int64(text), (1...366).contains(value) else { throw APIError.invalid("days must be a whole number from 1 to 366") }
            days = value
        }
        var toMillis = Self.endOfToday(nowMillis: store.nowMillis())
        if let text = query.get("to") {
            guard let to = ISOTime.parse(text) else { throw APIError.invalid("to must be a date (YYYY-MM-DD) or a UTC time") }
            toMillis = CivilDate(parsing: text) != nil ? to + dayMillis : to
        }
        var fromMillis = toMillis - days * dayMillis
        if let text = query.get("from") {
            guard let from = ISOTime.parse(text) else { throw APIError.invalid("from must be a date (YYYY-MM-DD) or a UTC time") }
            fromMillis = from
        }
        guard fromMillis < toMillis else { throw APIError.invalid("from must be before to") }
        let report = try await store.usage(workspaceId: id, fromMillis: fromMillis, toMillis: toMillis)
        let format = query.get("format")
        guard format == nil || format == "json" || format == "csv" else { throw APIError.invalid("format must be json or csv") }
        let wantsCSV = format == "csv" || (format == nil && (request.headers[.accept] ?? "").contains("text/csv"))
        if wantsCSV { return API.text(report.csv, contentType: "text/csv; charset=utf-8") }
        return API.json(report.json)
    }

    /// The end of today (UTC), in Unix milliseconds: where default usage windows end.
    static func endOfToday(nowMillis: Int64) -> Int64 { (nowMillis / 86_400_000 + 1) * 86_400_000 }
}
