import Hummingbird
import TributeCore
import TributeStore

/// A workspace's statements (SPEC §3.9): one per closed period, numbered and written once,
/// and any range built on demand; JSON, CSV or print-ready HTML. Every key allowed on the
/// workspace may read them: they are the customer's record.
struct StatementRoutes<Store: TributeStore>: Sendable {
    let store: Store
    let auth: Auth<Store>

    var endpoints: RouteCollection<TributeContext> {
        let routes = RouteCollection(context: TributeContext.self)
        routes.group().add(middleware: auth.requireKey(.anyRole, workspaceFrom: "id"))
            .get("/v1/workspaces/{id}/statements", use: list)
            .get("/v1/workspaces/{id}/statements/{number}", use: one)
            .get("/v1/workspaces/{id}/statement", use: range)
        // Finance's: every workspace's revenue, for an admin.
        routes.group().add(middleware: auth.requireKey(.admin))
            .get("/v1/reports/revenue", use: revenue)
        return routes
    }

    /// `?from=&to=` (dates or UTC times; a date as `to` includes that day): `{items:[{workspaceId,
    /// issued, recognized, breakage, refunded, deferredOpening, deferredClosing}]}` in cents.
    @Sendable func revenue(_ request: Request, _ context: TributeContext) async throws -> Response {
        let (from, to) = try Self.range(request)
        let lines = try await store.revenue(fromMillis: from, toMillis: to)
        return API.json(.object(["from": .timestamp(millis: from), "to": .timestamp(millis: to), "items": .array(lines.map { line in
            .object([
                "workspaceId": .string(line.workspaceId), "issued": .int(line.issuedCents), "recognized": .int(line.recognizedCents),
                "breakage": .int(line.breakageCents), "refunded": .int(line.refundedCents),
                "deferredOpening": .int(line.deferredOpeningCents), "deferredClosing": .int(line.deferredClosingCents),
            ])
        })]))
    }

    /// `from` and `to` of a query, both required: dates (YYYY-MM-DD, `to` inclusive) or UTC times.
    static func range(_ request: Request) throws -> (fromMillis: Int64, toMillis: Int64) {
        let query = request.uri.queryParameters
        guard let fromText = query.get("from"), let from = ISOTime.parse(String(fromText)) else { throw APIError.invalid("from must be a date (YYYY-MM-DD) or a UTC time") }
        guard let toText = query.get("to"), let parsedTo = ISOTime.parse(String(toText)) else { throw APIError.invalid("to must be a date (YYYY-MM-DD) or a UTC time") }
        let to = CivilDate(parsing: String(toText)) != nil ? parsedTo + 86_400_000 : parsedTo
        guard from < to else { throw APIError.invalid("from must be before to") }
        return (from, to)
    }

    /// `{items:[{number, from, to, openingCredits, closingCredits, digest, createdAt}]}`,
    /// oldest first: one a month at most since the workspace was made.
    @Sendable func list(_ request: Request, _ context: TributeContext) async throws -> Response {
        let statements = try await store.statements(workspaceId: try context.requireWorkspaceId())
        return API.json(.object(["items": .array(statements.map(Self.summary))]))
    }

    static func summary(_ stored: StoredStatement) -> JSON {
        let body = (try? JSON.parse(Array(stored.body.utf8))) ?? .null
        let fields = StatementDocument.Fields(body)
        return .object([
            "number": .int(Int64(stored.number)), "from": .timestamp(millis: stored.fromMillis), "to": .timestamp(millis: stored.toMillis),
            "openingCredits": fields.object("opening")["credits"] ?? .null, "closingCredits": fields.object("closing")["credits"] ?? .null,
            "digest": .string(stored.digest), "createdAt": .timestamp(millis: stored.createdAtMillis),
        ])
    }

    @Sendable func one(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try context.requireWorkspaceId()
        let text = try API.parameter(context, "number")
        guard let number = Int(text), number >= 1, text.count <= 6 else { throw APIError(.statementNotFound(text)) }
        let format = try Self.format(request)
        let stored = try await store.statement(workspaceId: id, number: number)
        return try Self.answer(body: stored.body, digest: stored.digest, format: format)
    }

    /// `?from=&to=` (dates or UTC times; a date as `to` includes that day).
    @Sendable func range(_ request: Request, _ context: TributeContext) async throws -> Response {
        let id = try context.requireWorkspaceId()
        let format = try Self.format(request)
        let (from, to) = try Self.range(request)
        let statement = try await store.statement(workspaceId: id, fromMillis: from, toMillis: to)
        return try Self.answer(body: statement.canonicalBody, digest: statement.digest, format: format)
    }

    enum Format: String { case json, csv, html }

    static func format(_ request: Request) throws -> Format {
        guard let text = request.uri.queryParameters.get("format") else { return .json }
        guard let format = Format(rawValue: String(text)) else { throw APIError.invalid("format must be json, csv or html") }
        return format
    }

    static func answer(body: String, digest: String, format: Format) throws -> Response {
        switch format {
        case .json:
            return API.text(CreditStatement.json(body: body, digest: digest))
        case .csv:
            return API.text(StatementDocument.csv(try JSON.parse(Array(body.utf8))), contentType: "text/csv; charset=utf-8")
        case .html:
            return Dashboard<Store>.html(StatementDocument.html(try JSON.parse(Array(body.utf8)), digest: digest))
        }
    }
}
