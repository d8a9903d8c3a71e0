import Hummingbird
import TributeCore

extension API {
    func registerLedger(_ routes: inout RouteTable) {
        routes.on("/v1/workspaces/{id}/transactions", .get) { request, context in
            let id = try API.workspaceId(context)
            _ = try await auth.require(request, .anyRole, workspace: id)
            let paging = try API.paging(request)
            let page = try await store.transactions(workspaceId: id, limit: paging.limit, cursor: paging.cursor)
            return API.json(.object(["items": API.list(page.items), "nextCursor": .optional(page.nextCursor)]))
        }
        routes.on("/v1/workspaces/{id}/decisions", .get) { request, context in
            let id = try API.workspaceId(context)
            _ = try await auth.require(request, .anyRole, workspace: id)
            let paging = try API.paging(request)
            var approved: Bool?
            switch request.uri.queryParameters.get("outcome") {
            case nil: approved = nil
            case "approved": approved = true
            case "denied": approved = false
            default: throw APIError.invalid("outcome must be approved or denied")
            }
            let page = try await store.decisions(workspaceId: id, limit: paging.limit, cursor: paging.cursor, approved: approved)
            return API.json(.object(["items": API.list(page.items), "nextCursor": .optional(page.nextCursor)]))
        }
        routes.on("/v1/workspaces/{id}/usage", .get) { request, context in try await usage(request, context) }
    }

    /// `?days=N` (1...366, default 30) ending now, or `?from=&to=` dates or times (UTC).
    func usage(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try API.workspaceId(context)
        _ = try await auth.require(request, .anyRole, workspace: id)
        let query = request.uri.queryParameters
        let dayMillis: Int64 = 86_400_000
        var fromMillis: Int64, toMillis: Int64
        if query.get("from") != nil || query.get("to") != nil {
            guard query.get("days") == nil else { throw APIError.invalid("Give either days or from and to") }
            guard let fromText = query.get("from"), let toText = query.get("to"), let from = ISOTime.parse(fromText), let to = ISOTime.parse(toText) else {
                throw APIError.invalid("from and to must both be dates (YYYY-MM-DD) or UTC times")
            }
            // A date alone as `to` includes that whole day.
            toMillis = CivilDate(parsing: toText) != nil ? to + dayMillis : to
            fromMillis = from
            guard fromMillis < toMillis, toMillis - fromMillis <= 366 * dayMillis else { throw APIError.invalid("from must be before to, at most 366 days apart") }
        } else {
            var days: Int64 = 30
            if let text = query.get("days") {
                guard let value = Int64(text), (1...366).contains(value) else { throw APIError.invalid("days must be a whole number from 1 to 366") }
                days = value
            }
            let today = store.nowMillis() / dayMillis
            toMillis = (today + 1) * dayMillis
            fromMillis = toMillis - days * dayMillis
        }
        let report = try await store.usage(workspaceId: id, fromMillis: fromMillis, toMillis: toMillis)
        let wantsCSV = (request.headers[.accept] ?? "").contains("text/csv") || query.get("format") == "csv"
        if wantsCSV { return API.text(report.csv, contentType: "text/csv; charset=utf-8") }
        return API.json(report.json)
    }
}
