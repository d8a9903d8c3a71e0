import Foundation
import Hummingbird
import TributeCore

extension API {
    func registerSystem(_ routes: inout RouteTable) {
        let store = self.store
        routes.on("/healthz", .get) { _, _ in API.json(.object(["status": .string("ok")])) }
        routes.on("/readyz", .get) { _, _ in
            guard await store.isReady() else {
                throw APIError(status: .serviceUnavailable, code: "not_ready", message: "The database does not answer")
            }
            return API.json(.object(["status": .string("ready")]))
        }
        routes.on("/openapi.yaml", .get) { _, _ in
            API.text(OpenAPIDocument.text, contentType: "application/yaml")
        }
    }
}

/// The API contract, shipped with the server.
enum OpenAPIDocument {
    static let text: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return "openapi: 3.0.3\n" }
        return text
    }()
}
