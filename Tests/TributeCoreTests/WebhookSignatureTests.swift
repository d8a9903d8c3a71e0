import Testing
import TributeCore

/// Stripe's signature scheme. The expected headers were made by the official `stripe`
/// Python library (`stripe.WebhookSignature.generate_signature_header(payload, secret,
/// timestamp=1763900000)`), so this checks against Stripe's own code, not against itself.
struct WebhookSignatureTests {
    static let payload = Array(#"{"id":"evt_1","type":"payment_intent.succeeded"}"#.utf8)
    static let secret = "whsec_test_secret"
    static let signedAt: Int64 = 1_763_900_000
    static let stripeHeader = "t=1763900000,v1=18af21159e941c3f94013e9657a808b2a0da9353b6fb497de3404d83caddcc1b"
    static let otherSecretSignature = "483c68921d3c8c7044e136b06f59e901781d20bc99406f5551510c03f6cfae41"

    @Test func headersAreTheOnesStripeMakes() {
        #expect(WebhookSignature.header(payload: Self.payload, secret: Self.secret, timestampSeconds: Self.signedAt) == Self.stripeHeader)
    }

    @Test(arguments: [
        stripeHeader,
        // Several v1 while a secret is rolled, other schemes, spaces: any matching v1 will do.
        "t=1763900000,v1=\(otherSecretSignature),v1=18af21159e941c3f94013e9657a808b2a0da9353b6fb497de3404d83caddcc1b,v0=abc",
        "t=1763900000, v1=18AF21159E941C3F94013E9657A808B2A0DA9353B6FB497DE3404D83CADDCC1B",
    ])
    func validHeadersAreAccepted(header: String) throws {
        try WebhookSignature.verify(payload: Self.payload, header: header, secret: Self.secret, nowSeconds: Self.signedAt + 60)
    }

    @Test func aTamperedBodyIsRefused() {
        var payload = Self.payload
        payload[payload.count - 3] = UInt8(ascii: "x")
        #expect(throws: WebhookSignature.Failure.noMatchingSignature) {
            try WebhookSignature.verify(payload: payload, header: Self.stripeHeader, secret: Self.secret, nowSeconds: Self.signedAt)
        }
    }

    @Test func theWrongSecretIsRefused() {
        #expect(throws: WebhookSignature.Failure.noMatchingSignature) {
            try WebhookSignature.verify(payload: Self.payload, header: Self.stripeHeader, secret: "whsec_other", nowSeconds: Self.signedAt)
        }
    }

    @Test func aStaleTimestampIsRefused() throws {
        try WebhookSignature.verify(payload: Self.payload, header: Self.stripeHeader, secret: Self.secret, nowSeconds: Self.signedAt + 300)
        #expect(throws: WebhookSignature.Failure.tooOld) {
            try WebhookSignature.verify(payload: Self.payload, header: Self.stripeHeader, secret: Self.secret, nowSeconds: Self.signedAt + 301)
        }
    }

    @Test(arguments: ["", "v1=18af21159e941c3f94013e9657a808b2a0da9353b6fb497de3404d83caddcc1b", "t=1763900000", "t=soon,v1=18af", "garbage", "t=1763900000,v1=zz"])
    func malformedHeadersAreRefused(header: String) {
        #expect(throws: WebhookSignature.Failure.malformed) {
            try WebhookSignature.verify(payload: Self.payload, header: header, secret: Self.secret, nowSeconds: Self.signedAt)
        }
    }
}
