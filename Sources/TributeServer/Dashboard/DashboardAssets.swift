import Foundation

/// The dashboard's stylesheet and script, shipped with the server (no CDN, works offline).
enum DashboardAssets {
    static let css = load("dashboard", "css")
    static let js = load("dashboard", "js")

    private static func load(_ name: String, _ type: String) -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: type, subdirectory: "Assets"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return "" }
        return text
    }
}
