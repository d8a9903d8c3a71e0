import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TributeCore
@testable import TributeServer
import TributeStore
import TributeTestSupport

/// Webhook URLs go to public addresses only, without redirects, unless the operator allows
/// private ones.
@Suite struct WebhookURLTests {
    /// Every kind of private or disguised host is refused at registration, and nothing is written.
    @Test(arguments: [
        "http://127.0.0.1/hook", "http://127.8.9.10:8080/hook", "https://0.0.0.0/", "http://10.1.2.3/x", "http://172.16.0.1/x",
        "http://192.168.1.10/x", "http://169.254.169.254/latest/meta-data/", "http://100.64.1.1/x", "http://224.0.0.1/x",
        "http://255.255.255.255/x", "http://localhost/x", "http://LocalHost:9000/x", "http://hooks.localhost/x", "http://localhost./x",
        "http://2130706433/", "http://0x7f.1/", "http://0177.0.0.1/", "http://127.1/", "http://0x7f000001/",
        "http://[::1]/x", "http://[::ffff:127.0.0.1]/x", "http://[fc00::1]/x", "http://[fe80::1]/x", "ftp://hooks.example.com/x",
    ])
    func privateURLsAreRefusedAtRegistration(url: String) async throws {
        let fixture = try await APIFixture(.sqlite)
        try await fixture.test { client in
            let answer = try await client.send(.post, "/v1/webhook-endpoints", key: fixture.adminKey, body: #"{"url":"\#(url)"}"#)
            #expect(answer.status == .unprocessableContent)
            #expect(answer.errorCode == "invalid_value")
            let message = answer.json?.objectValue?["error"]?.objectValue?["message"]?.stringValue ?? ""
            #expect(message.contains("url"), "the message names the field: \(message)")
        }
        #expect(try await fixture.store.webhookEndpoints().isEmpty)
    }

    @Test func aRefusalSaysWhyAndHowToAllowPrivateAddresses() async throws {
        let fixture = try await APIFixture(.sqlite)
        try await fixture.test { client in
            let answer = try await client.send(.post, "/v1/webhook-endpoints", key: fixture.adminKey, body: #"{"url":"http://10.0.0.5/hook"}"#)
            let message = answer.json?.objectValue?["error"]?.objectValue?["message"]?.stringValue ?? ""
            #expect(message.contains("10.0.0.5 is private") && message.contains("TRIBUTE_WEBHOOK_ALLOW_PRIVATE=1"))
        }
    }

    @Test(arguments: ["https://hooks.example.com/x", "http://8.8.8.8:8080/hook", "https://localhost-hooks.example.com/"])
    func publicURLsAreAccepted(url: String) async throws {
        let fixture = try await APIFixture(.sqlite)
        try await fixture.test { client in
            let answer = try await client.send(.post, "/v1/webhook-endpoints", key: fixture.adminKey, body: #"{"url":"\#(url)"}"#)
            #expect(answer.status == .created)
        }
        #expect(try await fixture.store.webhookEndpoints().map(\.url) == [url])
    }

    /// A port outside 1–65535 (or written with a leading zero), and a host no resolver would
    /// look up, are refused at registration even when any address is allowed.
    @Test(arguments: [
        "http://hooks.example.com:0/x", "http://hooks.example.com:99999/x", "https://hooks.example.com:65536/", "http://hooks.example.com:080/",
        "http://hooks.example.com:/x", "http://-a.com/x", "http://a-.com/", "http://hooks.-a.com/", "http://a..com/x", "http://.a.com/",
        "http://a.com../", "http://\(String(repeating: "a", count: 64)).com/",
    ])
    func malformedPortsAndHostsAreRefusedWhateverTheOperatorAllows(url: String) async throws {
        let fixture = try await APIFixture(.sqlite)
        for policy in [WebhookURLPolicy.publicOnly, .anyAddress] {
            let app = buildApplication(store: fixture.store, host: "127.0.0.1", port: 0, logger: Logger(label: "test"), webhookURLs: policy)
            try await app.test(.router) { client in
                let answer = try await client.send(.post, "/v1/webhook-endpoints", key: fixture.adminKey, body: #"{"url":"\#(url)"}"#)
                #expect(answer.status == .unprocessableContent, "\(url)")
                #expect(answer.errorCode == "invalid_value")
            }
        }
        #expect(try await fixture.store.webhookEndpoints().isEmpty)
    }

    @Test(arguments: ["https://hooks.example.com:65535/x", "http://8.8.8.8:1/hook", "https://hooks.example.com.:443/", "http://a.b-c.example:8080"])
    func edgePortsAndHostsAreAccepted(url: String) async throws {
        let fixture = try await APIFixture(.sqlite)
        try await fixture.test { client in
            let answer = try await client.send(.post, "/v1/webhook-endpoints", key: fixture.adminKey, body: #"{"url":"\#(url)"}"#)
            #expect(answer.status == .created, "\(url): \(answer.text)")
        }
    }

    /// The server's check and `openapi.yaml`'s pattern say the same of every URL, so that a
    /// URL the contract allows is never refused and one it forbids never accepted.
    @Test(arguments: [
        "http://a", "https://hooks.example.com/x?y=1", "http://a.com.", "http://a.com:1", "http://a.com:65535/", "http://8.8.8.8:8080/hook",
        "http://a.com:0", "http://a.com:65536", "http://a.com:99999", "http://a.com:080", "http://a.com:", "http://-a.com", "http://a-.com",
        "http://a..com", "http://.a", "http://a_b.com", "http://[::1]/x", "ftp://a.com", "http://", "http://a.com/ x", "http://a.com#x",
        "http://\(String(repeating: "a", count: 63)).com", "http://\(String(repeating: "a", count: 64)).com",
    ])
    func theCheckAndTheContractsPatternAgree(url: String) throws {
        let yaml = OpenAPIDocument.text
        let line = try #require(yaml.split(separator: "\n").first { $0.contains("url: { type: string, maxLength: 2048, pattern:") })
        let quoted = try #require(line.split(separator: "\"", omittingEmptySubsequences: false).dropFirst().first)
        let pattern = String(quoted).replacingOccurrences(of: "\\\\", with: "\\")
        let regex = try NSRegularExpression(pattern: pattern)
        let matches = regex.firstMatch(in: url, range: NSRange(url.startIndex..., in: url)) != nil
        #expect(WebhookRoutes<SQLiteStore>.isWebhookURL(url) == matches, "\(url): the contract says \(matches)")
    }

    /// With `TRIBUTE_WEBHOOK_ALLOW_PRIVATE=1` loopback and private receivers register.
    @Test func privateURLsAreAcceptedWhenTheOperatorAllowsThem() async throws {
        let fixture = try await APIFixture(.sqlite)
        let app = buildApplication(store: fixture.store, host: "127.0.0.1", port: 0, logger: Logger(label: "test"), webhookURLs: .anyAddress)
        try await app.test(.router) { client in
            for url in ["http://127.0.0.1:9/hook", "http://localhost:9/hook", "http://10.0.0.5/hook", "http://2130706433/"] {
                let answer = try await client.send(.post, "/v1/webhook-endpoints", key: fixture.adminKey, body: #"{"url":"\#(url)"}"#)
                #expect(answer.status == .created)
            }
        }
        #expect(try await fixture.store.webhookEndpoints().count == 4)
    }

    /// The one delivery of the store's queued event, once it is no longer pending.
    static func settled(_ store: any TributeStore, _ endpointId: String) async throws -> WebhookDelivery? {
        var delivery: WebhookDelivery?
        _ = try await WebhookDeliveryTests.eventually {
            delivery = try await store.webhookDeliveries(endpointId: endpointId, limit: 1, cursor: nil).items.first
            return (delivery?.attempts ?? 0) >= 1 && delivery?.lastError != nil
        }
        return delivery
    }

    /// A host name is resolved before each attempt: one private address among its answers
    /// makes the attempt fail, and nothing is sent.
    @Test func aNameThatResolvesToAPrivateAddressIsNotCalled() async throws {
        let receiver = Receiver(failures: 0)
        try await receiver.serve { url in
            let clock = ManualClock(millis: Identifier.currentMillis())
            // Registered by name; the name "resolves" to the public 8.8.8.8 and to the receiver's loopback.
            let named = url.replacingOccurrences(of: "127.0.0.1", with: "rebind.example")
            let (store, _, endpointId) = try await WebhookDeliveryTests.storeWithEvent(.sqlite, url: named, clock: clock)
            let service = WebhookDeliveryService(store: store, policy: RetryPolicy(baseDelayMillis: 1_000, maxDelayMillis: 60_000, maxAttempts: 3),
                                                 pollMillis: 20, webhookURLs: .publicOnly,
                                                 resolve: { _ in [.v4(0x0808_0808), .v4(0x7F00_0001)] }, logger: Logger(label: "test"))
            let worker = Task { try await service.run() }
            defer { worker.cancel() }
            let delivery = try #require(try await Self.settled(store, endpointId))
            #expect(delivery.status == .pending && delivery.lastStatusCode == nil)
            #expect(delivery.lastError?.contains("rebind.example resolves to 127.0.0.1, which is loopback") == true, "\(delivery.lastError ?? "")")
            #expect(await receiver.received.isEmpty)
        }
    }

    /// A URL registered while private addresses were allowed is not called once they are not.
    @Test func aLiteralPrivateAddressIsNotCalledWithoutTheFlag() async throws {
        let receiver = Receiver(failures: 0)
        try await receiver.serve { url in
            let (store, _, endpointId) = try await WebhookDeliveryTests.storeWithEvent(.sqlite, url: url, clock: ManualClock(millis: Identifier.currentMillis()))
            let service = WebhookDeliveryService(store: store, policy: RetryPolicy(baseDelayMillis: 1_000, maxDelayMillis: 60_000, maxAttempts: 1),
                                                 pollMillis: 20, logger: Logger(label: "test"))
            let worker = Task { try await service.run() }
            defer { worker.cancel() }
            let delivery = try #require(try await Self.settled(store, endpointId))
            #expect(delivery.status == .failed)
            #expect(delivery.lastError?.contains("127.0.0.1 is loopback") == true, "\(delivery.lastError ?? "")")
            #expect(await receiver.received.isEmpty)
        }
    }

    /// A receiver that answers 302 to another receiver: the second never hears of it, and
    /// the attempt is failed and retried.
    @Test func redirectsAreNotFollowed() async throws {
        let target = Receiver(failures: 0)
        try await target.serve { targetURL in
            let router = Router()
            router.post("/hook") { _, _ -> Response in
                Response(status: .found, headers: [.location: targetURL])
            }
            let redirecting = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
            try await redirecting.test(.live) { client in
                let clock = ManualClock(millis: Identifier.currentMillis())
                let (store, _, endpointId) = try await WebhookDeliveryTests.storeWithEvent(.sqlite, url: "http://127.0.0.1:\(client.port!)/hook", clock: clock)
                let worker = Task { try await WebhookDeliveryTests.service(store, maxAttempts: 3).run() }
                defer { worker.cancel() }
                let delivery = try #require(try await Self.settled(store, endpointId))
                #expect(delivery.status == .pending && delivery.nextAttemptAtMillis != nil, "a failed attempt is retried")
                #expect(delivery.lastStatusCode == 302)
                #expect(delivery.lastError?.contains("redirects are not followed") == true)
                try await Task.sleep(for: .milliseconds(300))
                #expect(await target.received.isEmpty)
            }
        }
    }
}
