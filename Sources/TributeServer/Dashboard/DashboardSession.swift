import Foundation
import HTTPTypes
import Hummingbird
import TributeCore
import TributeStore

/// Who is signed in to the dashboard. Signing in checks the form's API key once and starts
/// a server-side session (`TributeStore.createDashboardSession`); the browser's cookie holds
/// only that session's random secret, of which the store keeps the SHA-256. The key itself
/// never leaves the sign-in form: it is in no cookie, page, URL or log.
///
/// The cookie is `HttpOnly` (no script reads it), `SameSite=Strict` (no other site's page
/// sends it), `Path=/`, `Secure` when the request came over HTTPS (directly or, behind a
/// proxy, with `X-Forwarded-Proto: https`), and without expiry (gone when the browser
/// closes). Every request reads the session and its key live, so sign-out, the session's
/// 12-hour lifetime and the key's revocation each end it at once (docs/dashboard.md).
enum DashboardSession {
    static let cookieName = "tribute_session"
    /// The cookie that held the raw API key before sessions; sign-in and sign-out expire it.
    static let legacyCookieName = "tribute_key"
    /// How many sign-ins with a key that does not verify one client address may try: 10 at
    /// once, then one a second. Past it every sign-in from that address, with any key, is
    /// `429` until a token comes back. (A valid key's sign-ins take from its own limit.)
    static let failedSignInLimit = RateLimit(perSecond: 1, burst: 10)!

    /// The session secret in the request's cookie, if any.
    static func secret(_ request: Request) -> String? {
        cookie(cookieName, request, maxBytes: 512)
    }

    /// The value of the request's first cookie `name`; `nil` when absent, empty or longer
    /// than `maxBytes`.
    static func cookie(_ name: String, _ request: Request, maxBytes: Int) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces)
                guard pair.hasPrefix(name + "=") else { continue }
                let value = String(pair.dropFirst(name.count + 1))
                return value.isEmpty || value.utf8.count > maxBytes ? nil : value
            }
        }
        return nil
    }

    /// The key the request's session acts for; `nil` without a live session.
    static func principal(_ request: Request, store: some TributeStore) async throws -> Principal? {
        guard let secret = secret(request) else { return nil }
        return try await store.dashboardPrincipal(sessionSecret: secret)
    }

    /// Whether the browser reached us over HTTPS: TLS here, or a proxy that says so.
    static func isSecure(_ request: Request) -> Bool {
        if request.head.scheme?.lowercased() == "https" { return true }
        // A proxy may list several hops ("https, http"); the first is the client's.
        guard let forwarded = request.headers[HTTPField.Name("X-Forwarded-Proto")!],
              let first = forwarded.split(separator: ",").first else { return false }
        return first.trimmingCharacters(in: .whitespaces).lowercased() == "https"
    }

    static func attributes(_ request: Request) -> String {
        "Path=/; HttpOnly; SameSite=Strict" + (isSecure(request) ? "; Secure" : "")
    }

    static func setCookie(_ secret: String, for request: Request) -> String {
        "\(cookieName)=\(secret); \(attributes(request))"
    }

    static func clearCookie(_ name: String = cookieName, for request: Request) -> String {
        "\(name)=; \(attributes(request)); Max-Age=0"
    }

    /// A form post must come from the dashboard's own pages: browsers say where a request
    /// comes from in `Sec-Fetch-Site` and `Origin`, and the cookie is `SameSite=Strict`.
    static func isSameOrigin(_ request: Request) -> Bool {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin", site != "none" { return false }
        guard let origin = request.headers[HTTPField.Name("Origin")!] else { return true }
        guard let host = request.head.authority else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }
}
