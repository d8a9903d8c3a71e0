import TributeCore

/// A statement's CSV and print-ready HTML (SPEC §3.9), both written from its JSON body, so
/// that a stored statement and one built on demand read alike and every format shows the
/// same figures.
enum StatementDocument {
    /// The fields of a statement's body, read as text.
    struct Fields {
        let body: [String: JSON]

        init(_ body: JSON) { self.body = body.objectValue ?? [:] }

        func object(_ name: String, in object: [String: JSON]? = nil) -> [String: JSON] { (object ?? body)[name]?.objectValue ?? [:] }
        func array(_ name: String, in object: [String: JSON]? = nil) -> [JSON] { (object ?? body)[name]?.arrayValue ?? [] }

        static func text(_ value: JSON?) -> String {
            switch value {
            case .string(let text)?: text
            case .number(let text)?: text
            case .bool(let flag)?: flag ? "true" : "false"
            default: ""
            }
        }

        static func amount(_ value: JSON?) -> Amount {
            guard case .number(let text)? = value else { return .zero }
            return (try? Amount.parse(text)) ?? .zero
        }
    }

    static let categories = GrantCategory.allCases.map(\.rawValue)

    /// `section,at,kind,category,credits,actions,ref,adjustment`: the opening and closing
    /// credits by category, every movement, and the allowance; the opening's credits plus
    /// the movements' make the closing's.
    static func csv(_ body: JSON) -> String {
        let fields = Fields(body)
        var lines = ["section,at,kind,category,credits,actions,ref,adjustment"]
        func line(_ cells: [String]) { lines.append(cells.map(cell).joined(separator: ",")) }
        let opening = fields.object("byCategory", in: fields.object("opening")), closing = fields.object("byCategory", in: fields.object("closing"))
        for category in categories { line(["opening", Fields.text(fields.body["from"]), "", category, Fields.text(opening[category]), "", "", ""]) }
        for movement in fields.array("movements").compactMap(\.objectValue) {
            line(["movement", Fields.text(movement["at"]), Fields.text(movement["kind"]), Fields.text(movement["category"]), Fields.text(movement["credits"]), "",
                  Fields.text(movement["ref"]), Fields.text(movement["adjustment"])])
        }
        for category in categories { line(["closing", Fields.text(fields.body["to"]), "", category, Fields.text(closing[category]), "", "", ""]) }
        let allowance = fields.object("allowance")
        for name in ["issued", "used", "lapsed", "rolloverIn", "rolloverOut"] { line(["allowance", "", name, "", "", Fields.text(allowance[name]), "", ""]) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// RFC 4180: quoted when it holds a comma, a quote or a line break; a leading `=`, `+`,
    /// `-` or `@` of text (never of a number) is quoted with a `'` so that a spreadsheet
    /// does not run it.
    static func cell(_ text: String) -> String {
        var value = text
        if let first = value.first, "=+@".contains(first) || (first == "-" && (try? Amount.parse(value)) == nil) {
            value = "'" + value
        }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The statement as a page to read and print.
    static func html(_ body: JSON, digest: String) -> String {
        let fields = Fields(body)
        let e = HTML.escape
        let number = Fields.text(fields.body["number"])
        let title = number.isEmpty ? "Statement" : "Statement \(number)"
        let from = Fields.text(fields.body["from"]), to = Fields.text(fields.body["to"])
        var page = """
            <article class="statement">
            <h1>\(e(title)) · \(e(Fields.text(fields.body["workspaceId"])))</h1>
            <p>From \(e(from)) to \(e(to)) (UTC).</p>
            <h2>Credits</h2>
            <table id="statement-balances"><thead><tr><th scope="col">Category</th><th scope="col" class="num">Opening</th><th scope="col" class="num">Closing</th></tr></thead><tbody>
            """
        let opening = fields.object("opening"), closing = fields.object("closing")
        for category in categories {
            page += "<tr><td>\(e(category))</td><td class=\"num\">\(e(HTML.amount(Fields.amount(fields.object("byCategory", in: opening)[category]))))</td>"
                + "<td class=\"num\">\(e(HTML.amount(Fields.amount(fields.object("byCategory", in: closing)[category]))))</td></tr>"
        }
        page += """
            <tr class="total"><th scope="row">Total</th><td class="num">\(e(HTML.amount(Fields.amount(opening["credits"]))))</td><td class="num">\(e(HTML.amount(Fields.amount(closing["credits"]))))</td></tr>
            </tbody></table>
            <h2>Movements</h2>
            <table id="statement-movements"><thead><tr><th scope="col">When (UTC)</th><th scope="col">What</th><th scope="col">Category</th><th scope="col" class="num">Credits</th><th scope="col">Reference</th></tr></thead><tbody>
            """
        for movement in fields.array("movements").compactMap(\.objectValue) {
            var what = Fields.text(movement["kind"])
            if let purchase = movement["purchase"]?.objectValue {
                what += " · \(Fields.text(purchase["packageId"])) · \(Fields.text(purchase["amountCents"])) cents · \(Fields.text(purchase["paymentIntentId"]))"
            }
            if movement["adjustment"] == .bool(true) { what += " (adjustment of an earlier statement)" }
            page += "<tr><td>\(e(Fields.text(movement["at"])))</td><td>\(e(what))</td><td>\(e(Fields.text(movement["category"])))</td>"
                + "<td class=\"num\">\(e(HTML.amount(Fields.amount(movement["credits"]))))</td><td>\(e(Fields.text(movement["ref"])))</td></tr>"
        }
        let usage = fields.object("usage"), allowance = fields.object("allowance")
        page += """
            </tbody></table>
            <h2>Usage</h2>
            <p>\(e(Fields.text(usage["calls"]))) calls, \(e(HTML.amount(Fields.amount(usage["actions"])))) actions, \(e(HTML.amount(Fields.amount(usage["credits"])))) credits: \
            \(e(HTML.amount(Fields.amount(usage["paidCredits"])))) paid, \(e(HTML.amount(Fields.amount(usage["promotionalCredits"])))) promotional.</p>
            <p>Allowance: \(e(HTML.amount(Fields.amount(allowance["issued"])))) issued, \(e(HTML.amount(Fields.amount(allowance["rolloverIn"])))) carried in, \
            \(e(HTML.amount(Fields.amount(allowance["used"])))) used, \(e(HTML.amount(Fields.amount(allowance["lapsed"])))) lapsed, \(e(HTML.amount(Fields.amount(allowance["rolloverOut"])))) carried on.</p>
            """
        let lines = fields.array("byActionType", in: usage).compactMap(\.objectValue)
        if !lines.isEmpty {
            page += """
                <table id="statement-usage"><thead><tr><th scope="col">Action type</th><th scope="col" class="num">Calls</th><th scope="col" class="num">Actions</th><th scope="col" class="num">Credits</th></tr></thead><tbody>
                """
            for line in lines {
                let key = Fields.text(line["key"])
                page += "<tr><td>\(e(key.isEmpty ? "Other" : key))</td><td class=\"num\">\(e(Fields.text(line["calls"])))</td>"
                    + "<td class=\"num\">\(e(HTML.amount(Fields.amount(line["actions"]))))</td><td class=\"num\">\(e(HTML.amount(Fields.amount(line["credits"]))))</td></tr>"
            }
            page += "</tbody></table>"
        }
        let holds = fields.array("holdsOpen").compactMap(\.objectValue)
        if !holds.isEmpty {
            page += "<p>\(holds.count) holds open at the close: \(e(holds.prefix(20).map { Fields.text($0["id"]) }.joined(separator: ", ")))\(holds.count > 20 ? "…" : "").</p>"
        }
        let chain = fields.object("chain")
        page += """
            <footer class="proof"><p>\(chain.isEmpty ? "No decisions in this period." : "Decisions \(e(Fields.text(chain["fromSeq"])))–\(e(Fields.text(chain["toSeq"]))), chain head <code>\(e(Fields.text(chain["headHash"])))</code>")</p>
            <p>Digest <code id="statement-digest">\(e(digest))</code></p></footer>
            </article>
            """
        return HTML.page(title: title, principal: nil, body: page)
    }
}
