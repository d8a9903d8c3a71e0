import Foundation

/// The API contract, shipped with the server as a resource. The router contract test reads
/// it too, and fails when a route and an operation do not match.
enum OpenAPIDocument {
    static let text: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return "openapi: 3.0.3\n" }
        return text
    }()
}
