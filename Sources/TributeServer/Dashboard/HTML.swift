import TributeCore

/// Server-rendered HTML: escaping and the page layout every dashboard page shares.
enum HTML {
    /// Text made safe for element content and quoted attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// An amount with thousands separators, for people: `12,345.5`.
    static func amount(_ value: Amount) -> String {
        let text = value.description
        let negative = text.hasPrefix("-")
        let unsigned = negative ? String(text.dropFirst()) : text
        let parts = unsigned.split(separator: ".", maxSplits: 1)
        var whole = String(parts[0])
        var grouped = ""
        while whole.count > 3 {
            grouped = "," + whole.suffix(3) + grouped
            whole = String(whole.dropLast(3))
        }
        grouped = whole + grouped
        return (negative ? "-" : "") + grouped + (parts.count > 1 ? "." + parts[1] : "")
    }

    /// An amount rounded half up to `decimals` places, for rates shown to people.
    static func amount(_ value: Amount, decimals: Int) -> String {
        var unit: Int64 = 1
        for _ in 0..<(6 - min(max(decimals, 0), 6)) { unit *= 10 }
        let rounded = (value.micros + (value.isNegative ? -unit / 2 : unit / 2)) / unit * unit
        return amount(Amount(micros: rounded))
    }

    static func cents(_ cents: Int64, currency: String) -> String {
        let symbol = currency == "usd" ? "$" : currency.uppercased() + " "
        let fraction = cents % 100
        return symbol + amount(Amount(units: cents / 100)) + "." + (fraction < 10 ? "0" : "") + String(fraction)
    }

    static func time(_ millis: Int64) -> String {
        let text = ISOTime.format(millis: millis)
        return String(text.prefix(16)).replacingOccurrences(of: "T", with: " ")
    }

    /// A whole page: the header with the signed-in key's role and the sign-out button.
    static func page(title: String, principal: Principal?, body: String, script: Bool = false) -> String {
        var nav = ""
        if let principal {
            var links = ""
            if principal.role == .admin { links += #"<a href="/admin">Admin</a>"# }
            if principal.role != .admin && principal.workspaceIds.count == 1 {
                links += #"<a href="/workspaces/\#(escape(principal.workspaceIds[0]))">Workspace</a>"#
            } else {
                links += #"<a href="/">Workspaces</a>"#
            }
            nav = """
                <nav aria-label="Main">\(links)
                <span class="role">\(escape(principal.role.rawValue)) key</span>
                <form method="post" action="/sign-out"><button type="submit" class="link">Sign out</button></form></nav>
                """
        }
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · Tribute</title>
            <link rel="stylesheet" href="/assets/dashboard.css">
            \(script ? #"<script src="/assets/dashboard.js" defer></script>"# : "")
            </head>
            <body>
            <header><a class="brand" href="/">Tribute</a>\(nav)</header>
            <main id="main">
            \(body)
            </main>
            </body>
            </html>
            """
    }
}
