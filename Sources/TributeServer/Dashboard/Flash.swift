import Crypto
import Foundation
import Hummingbird
import TributeCore

/// What a form did, carried across its redirect. A form that changed something answers
/// `303 See Other` to its page (post, redirect, get), so that reloading the page never sends
/// the form again — a second grant of credits, say. The notice rides along in a short-lived
/// cookie that the page shows once and clears.
///
/// The cookie is signed with the browser's session secret (HMAC-SHA256), which only this
/// browser and the server know: a cookie planted by anything else (a sibling subdomain) is
/// ignored rather than shown as the service's word. It holds no secret: forms whose answer
/// shows one (a new key, a webhook endpoint's signing secret) answer with the page directly.
enum Flash {
    static let cookieName = "tribute_notice"
    /// The longest notice carried, in UTF-8 bytes; a longer one is cut.
    static var maxNoticeBytes: Int { 1_000 }
    /// Long enough to follow the redirect, short enough not to show on a later visit.
    static var lifetimeSeconds: Int { 60 }

    /// The `Set-Cookie` value that carries `notice` to the next page of `sessionSecret`'s browser.
    static func setCookie(_ notice: String, sessionSecret: String, for request: Request) -> String {
        var text = ""
        for character in notice {
            guard text.utf8.count + character.utf8.count <= maxNoticeBytes else { break }
            text.append(character)
        }
        let bytes = Array(text.utf8)
        let value = base64URL(bytes) + "." + signature(bytes, sessionSecret: sessionSecret)
        return "\(cookieName)=\(value); \(DashboardSession.attributes(request)); Max-Age=\(lifetimeSeconds)"
    }

    /// The notice the request's flash cookie carries, when it was signed for this session.
    static func notice(_ request: Request) -> String? {
        guard let session = DashboardSession.secret(request),
              let value = DashboardSession.cookie(cookieName, request, maxBytes: 2 * maxNoticeBytes),
              let dot = value.firstIndex(of: "."),
              let bytes = bytes(base64URL: String(value[..<dot])) else { return nil }
        let expected = Array(signature(bytes, sessionSecret: session).utf8)
        guard Hex.constantTimeEqual(Array(value[value.index(after: dot)...].utf8), expected) else { return nil }
        // Signed by this server for this session: text it wrote.
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether the request carries a flash cookie, to be cleared by the page that reads it.
    static func isPresent(_ request: Request) -> Bool {
        DashboardSession.cookie(cookieName, request, maxBytes: .max) != nil
    }

    static func clearCookie(for request: Request) -> String {
        DashboardSession.clearCookie(cookieName, for: request)
    }

    private static func signature(_ bytes: [UInt8], sessionSecret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: bytes, using: SymmetricKey(data: Array("tribute-flash:\(sessionSecret)".utf8)))
        return Hex.encode(Array(mac))
    }

    private static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func bytes(base64URL text: String) -> [UInt8]? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map(Array.init)
    }
}
