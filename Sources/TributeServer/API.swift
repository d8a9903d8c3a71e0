import Foundation
import Hummingbird
import TributeCore

/// What every route of the HTTP API shares: reading bodies within their limits, path and
/// paging parameters, and writing JSON. The routes themselves are in `Routes/`, one
/// collection per resource.
enum API {
    /// Bodies above this are refused with 413 before they are parsed.
    static var maxBodyBytes: Int { 64 * 1024 }

    /// The body, at most `maxBodyBytes`, as a validated JSON object.
    static func fields(_ request: Request) async throws -> Fields {
        try Fields(body: try await bytes(request))
    }

    /// The body, at most `maxBytes`.
    /// - Throws: 413 past it, by `Content-Length` before reading or while reading.
    static func bytes(_ request: Request, maxBytes: Int = maxBodyBytes) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBytes { throw APIError.payloadTooLarge }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxBytes)
        } catch {
            throw APIError.payloadTooLarge
        }
        return Array(buffer.readableBytesView)
    }

    static func json(_ value: JSON, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        text(value.serialized, status: status, headers: extra)
    }

    static func text(_ body: String, status: HTTPResponse.Status = .ok, contentType: String = "application/json", headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func list<T: JSONRepresentable>(_ items: [T]) -> JSON { .array(items.map(\.json)) }

    /// A page of a list as every list operation answers it: `{"items": [...], "nextCursor"}`,
    /// the cursor `null` on the last page.
    static func page<T: JSONRepresentable>(_ page: Page<T>) -> Response {
        json(.object(["items": list(page.items), "nextCursor": .optional(page.nextCursor)]))
    }

    /// A path parameter, percent-decoded.
    /// - Throws: 400 `invalid_path` when its `%` escapes are not valid percent-encoded
    ///   UTF-8 (`%ZZ`, `%FF`), `malformed_request` when it is missing or empty.
    static func parameter(_ context: TributeContext, _ name: String) throws -> String {
        guard let raw = context.parameters.get(name) else { throw APIError.malformed("Missing path parameter \(name)") }
        guard let decoded = raw.removingPercentEncoding else { throw APIError.invalidPath(name) }
        guard !decoded.isEmpty else { throw APIError.malformed("Missing path parameter \(name)") }
        return decoded
    }

    /// A workspace id from the path; one that is no identifier names no workspace.
    static func workspaceId(_ context: TributeContext, parameter name: String = "id") throws -> String {
        let id = try parameter(context, name)
        guard Fields.isIdentifier(id) else { throw APIError(.workspaceNotFound(id)) }
        return id
    }

    /// `limit` (1...500, default 50) and `cursor` query parameters; `maxCursorBytes` as for `cursor`.
    static func paging(_ request: Request, maxCursorBytes: Int = 40) throws -> (limit: Int, cursor: String?) {
        let query = request.uri.queryParameters
        var limit = 50
        if let text = query.get("limit") {
            guard let value = Int(text), (1...500).contains(value) else { throw APIError.invalid("limit must be a whole number from 1 to 500") }
            limit = value
        }
        return (limit, try cursor(request, maxBytes: maxCursorBytes))
    }

    /// The request's `cursor` (or the query parameter `name`), as a list gave it (the
    /// dashboard's pages take it too). Lists' cursors are numbers of at most 40 bytes;
    /// budgets' name a scope (`BudgetPages.maxCursorBytes`).
    /// - Throws: 422 for one that no list gave.
    static func cursor(_ request: Request, name: String = "cursor", maxBytes: Int = 40) throws -> String? {
        guard let cursor = request.uri.queryParameters.get(name).map({ String($0) }) else { return nil }
        guard !cursor.isEmpty, cursor.utf8.count <= maxBytes else { throw APIError.invalid("\(name) is not one this service gave") }
        return cursor
    }
}

extension APIError {
    /// 400 `invalid_path`: a path segment whose `%` escapes decode to no text (`%ZZ`, or
    /// bytes that are not UTF-8), so it names nothing.
    static func invalidPath(_ parameter: String) -> APIError {
        APIError(status: .badRequest, code: "invalid_path",
                 message: "The path's \(parameter) is not valid percent-encoding: each % must be followed by two hex digits, and the bytes must be UTF-8")
    }
}
