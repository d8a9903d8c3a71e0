import TributeCore

/// Charts drawn by the server as inline SVG: no script, no library, readable by screen
/// readers through their titles and the table each chart comes with.
enum SVGChart {
    /// Horizontal bars, one per label, scaled to the largest value.
    static func bars(_ items: [(label: String, value: Amount)], title: String) -> String {
        guard !items.isEmpty else { return #"<p class="empty">Nothing yet.</p>"# }
        let rowHeight = 28, labelWidth = 190, width = 640
        let height = items.count * rowHeight + 8
        let largest = items.map(\.value).max() ?? .zero
        var svg = #"<svg class="chart" viewBox="0 0 \#(width) \#(height)" role="img" aria-labelledby="\#(id(title))"><title id="\#(id(title))">\#(HTML.escape(title))</title>"#
        for (index, item) in items.enumerated() {
            let y = index * rowHeight + 4
            let barWidth = scaled(item.value, of: largest, to: width - labelWidth - 90)
            svg += #"<text x="0" y="\#(y + 18)" class="label">\#(HTML.escape(item.label))</text>"#
            svg += #"<rect x="\#(labelWidth)" y="\#(y + 4)" width="\#(max(barWidth, 1))" height="18" rx="3" class="bar"/>"#
            svg += #"<text x="\#(labelWidth + barWidth + 6)" y="\#(y + 18)" class="value">\#(HTML.amount(item.value))</text>"#
        }
        return svg + "</svg>"
    }

    /// Columns over days, one per day, with the first and last date under them.
    static func columns(_ days: [(date: CivilDate, value: Amount)], title: String) -> String {
        guard let first = days.first, let last = days.last else { return #"<p class="empty">Nothing yet.</p>"# }
        let width = 640, height = 180, bottom = 150
        let largest = days.map(\.value).max() ?? .zero
        let step = max(width / days.count, 2)
        var svg = #"<svg class="chart" viewBox="0 0 \#(width) \#(height)" role="img" aria-labelledby="\#(id(title))"><title id="\#(id(title))">\#(HTML.escape(title))</title>"#
        svg += #"<line x1="0" y1="\#(bottom)" x2="\#(width)" y2="\#(bottom)" class="axis"/>"#
        for (index, day) in days.enumerated() {
            let columnHeight = scaled(day.value, of: largest, to: bottom - 10)
            let x = index * step + 1
            svg += #"<rect x="\#(x)" y="\#(bottom - columnHeight)" width="\#(max(step - 2, 1))" height="\#(columnHeight)" class="bar"><title>\#(day.date): \#(HTML.amount(day.value))</title></rect>"#
        }
        svg += #"<text x="0" y="\#(bottom + 20)" class="label">\#(first.date)</text>"#
        svg += #"<text x="\#(width)" y="\#(bottom + 20)" class="label" text-anchor="end">\#(last.date)</text>"#
        svg += #"<text x="\#(width)" y="12" class="value" text-anchor="end">max \#(HTML.amount(largest))</text>"#
        return svg + "</svg>"
    }

    /// `value / largest × pixels`, in integers: drawing needs no exactness, only no floats
    /// on amounts.
    static func scaled(_ value: Amount, of largest: Amount, to pixels: Int) -> Int {
        guard largest.micros > 0, value.micros > 0 else { return 0 }
        let share = value.scaled(numerator: Int64(pixels), denominator: largest.micros)?.micros ?? 0
        return Int(min(Int64(pixels), share))
    }

    private static func id(_ title: String) -> String {
        "chart-" + String(title.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
    }
}
