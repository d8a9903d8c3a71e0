import Foundation
import HTTPTypes
import Hummingbird
import TributeCore
import TributeStore

/// Who is signed in to the dashboard. The sign-in form's key is kept in a cookie that is
/// `HttpOnly` (no script reads it), `SameSite=Strict` (no other site's page sends it) and
/// without expiry (gone when the browser closes): the key is never in a URL, a page or a
/// log, and it is checked on every request like a bearer key, so revoking it signs out.
enum DashboardSession {
    static let cookieName = "tribute_key"

    /// The key in the request's cookie, if any.
    static func key(_ request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces)
                guard pair.hasPrefix(cookieName + "=") else { continue }
                let value = String(pair.dropFirst(cookieName.count + 1))
                return value.isEmpty || value.count > 512 ? nil : value
            }
        }
        return nil
    }

    static func principal(_ request: Request, store: some TributeStore) async throws -> Principal? {
        guard let key = key(request) else { return nil }
        return try await store.principal(secret: key)
    }

    static func setCookie(_ key: String) -> String {
        "\(cookieName)=\(key); Path=/; HttpOnly; SameSite=Strict"
    }

    static var clearCookie: String { "\(cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0" }

    /// A form post must come from the dashboard's own pages: browsers say where a request
    /// comes from in `Sec-Fetch-Site` and `Origin`, and the cookie is `SameSite=Strict`.
    static func isSameOrigin(_ request: Request) -> Bool {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin", site != "none" { return false }
        guard let origin = request.headers[HTTPField.Name("Origin")!] else { return true }
        guard let host = request.head.authority else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }
}

/// An `application/x-www-form-urlencoded` body.
struct FormBody {
    private var values: [String: String] = [:]

    init(_ bytes: [UInt8]) {
        for pair in String(decoding: bytes, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = FormBody.decode(parts[0]) else { continue }
            values[name] = parts.count > 1 ? FormBody.decode(parts[1]) ?? "" : ""
        }
    }

    subscript(_ name: String) -> String? {
        let value = values[name]?.trimmingCharacters(in: .whitespacesAndNewlines)
        return value?.isEmpty == true ? nil : value
    }

    private static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
