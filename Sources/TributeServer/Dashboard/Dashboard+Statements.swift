import Hummingbird
import TributeCore

extension Dashboard {
    /// A statement's printable page, for any key of the workspace.
    @Sendable func statement(_ request: Request, _ context: TributeContext) async throws -> Response {
        let stored = try await storedStatement(context)
        return Dashboard.html(StatementDocument.html(try JSON.parse(Array(stored.body.utf8)), digest: stored.digest))
    }

    /// A statement's CSV, as the API gives it.
    @Sendable func statementCSV(_ request: Request, _ context: TributeContext) async throws -> Response {
        let stored = try await storedStatement(context)
        var response = API.text(StatementDocument.csv(try JSON.parse(Array(stored.body.utf8))), contentType: "text/csv; charset=utf-8")
        response.headers[.contentDisposition] = "attachment; filename=\"statement-\(stored.number).csv\""
        return response
    }

    private func storedStatement(_ context: TributeContext) async throws -> StoredStatement {
        let text = try API.parameter(context, "number")
        guard let number = Int(text), number >= 1, text.count <= 6 else { throw APIError(.statementNotFound(text)) }
        return try await store.statement(workspaceId: try context.requireWorkspaceId(), number: number)
    }
}
