import Testing
import TributeCore

/// Which addresses may receive webhooks: a table per rule, with no I/O.
struct WebhookURLPolicyTests {
    @Test(arguments: [
        ("127.0.0.1", AddressScope.loopback), ("127.255.255.254", .loopback),
        ("0.0.0.0", .unspecified), ("0.1.2.3", .reserved),
        ("10.0.0.1", .privateUse), ("172.16.0.1", .privateUse), ("172.31.255.255", .privateUse), ("192.168.1.1", .privateUse),
        ("169.254.169.254", .linkLocal), ("100.64.0.1", .sharedCGNAT), ("100.127.255.255", .sharedCGNAT),
        ("224.0.0.1", .multicast), ("239.255.255.250", .multicast),
        ("240.0.0.1", .reserved), ("255.255.255.255", .reserved), ("192.0.2.1", .reserved), ("198.51.100.7", .reserved),
        ("203.0.113.9", .reserved), ("198.18.0.1", .reserved), ("192.0.0.8", .reserved),
        ("8.8.8.8", .public), ("1.1.1.1", .public), ("172.15.255.255", .public), ("172.32.0.1", .public), ("100.63.255.255", .public),
        ("100.128.0.1", .public), ("169.253.0.1", .public), ("192.169.0.1", .public), ("223.255.255.255", .public),
    ])
    func ipv4AddressesHaveTheirScope(text: String, scope: AddressScope) throws {
        #expect(try #require(IPAddress(dottedDecimal: text)).scope == scope)
    }

    @Test(arguments: [
        ("::", AddressScope.unspecified), ("::1", .loopback),
        ("::ffff:127.0.0.1", .loopback), ("::ffff:7f00:1", .loopback), ("::ffff:10.1.2.3", .privateUse), ("::ffff:169.254.169.254", .linkLocal),
        ("::ffff:8.8.8.8", .public), ("64:ff9b::10.0.0.1", .privateUse), ("64:ff9b::8.8.8.8", .public), ("64:ff9b:1::1", .privateUse),
        ("2002:7f00:1::1", .loopback), ("2002:808:808::1", .public),
        ("fc00::1", .privateUse), ("fd12:3456::1", .privateUse), ("fe80::1", .linkLocal), ("febf::1", .linkLocal), ("fec0::1", .reserved),
        ("ff02::1", .multicast), ("2001:db8::1", .reserved), ("2001::1", .reserved), ("::127.0.0.1", .reserved), ("100::1", .reserved),
        ("2606:4700:4700::1111", .public), ("2a00:1450:4001:80b::200e", .public),
    ])
    func ipv6AddressesHaveTheirScope(text: String, scope: AddressScope) throws {
        #expect(try #require(IPAddress(ipv6: text)).scope == scope)
    }

    @Test(arguments: ["1.2.3", "1.2.3.4.5", "01.2.3.4", "256.1.1.1", "1.2.3.-4", "", "1..2.3", "1.2.3.4 "])
    func onlyUsualDottedDecimalIsAnIPv4Address(text: String) {
        #expect(IPAddress(dottedDecimal: text) == nil)
    }

    @Test(arguments: [":::", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "g::1", "::ffff:1.2.3"])
    func malformedIPv6TextIsNoAddress(text: String) {
        #expect(IPAddress(ipv6: text) == nil)
    }

    @Test func addressesPrintAsTheyAreUsuallyWritten() {
        #expect(IPAddress.v4(0x7F00_0001).description == "127.0.0.1")
        #expect(IPAddress(ipv6: "::1")?.description == "0:0:0:0:0:0:0:1")
    }

    /// Every kind of private host, as written in a URL, is refused by default.
    @Test(arguments: [
        "127.0.0.1", "127.1.2.3", "0.0.0.0", "10.0.0.1", "172.16.5.4", "192.168.0.1", "169.254.169.254", "100.64.0.1",
        "224.0.0.1", "255.255.255.255", "localhost", "LOCALHOST", "localhost.", "api.localhost", "a.b.LocalHost",
    ])
    func privateHostsAreRefused(host: String) {
        #expect(throws: WebhookURLPolicy.Refusal.self) { try WebhookURLPolicy.publicOnly.check(host: host) }
    }

    /// A number that some parser reads as an address is refused whatever it means: the
    /// host would hide where calls go. When any address is allowed, so is any spelling.
    @Test(arguments: ["2130706433", "0x7f.1", "0x7f000001", "0177.0.0.1", "127.1", "127.0.1", "0X7F.0.0.1", "8.8.8.8.", "134744072",
                      "017700000001", "1.2.3.09", "example.123", "host.0x1"])
    func unusualIPv4SpellingsAreRefused(host: String) {
        #expect(throws: WebhookURLPolicy.Refusal.unusualIPv4Spelling(host)) { try WebhookURLPolicy.publicOnly.check(host: host) }
        #expect(throws: Never.self) { try WebhookURLPolicy.anyAddress.check(host: host) }
    }

    @Test func publicHostsAreAccepted() throws {
        #expect(try WebhookURLPolicy.publicOnly.check(host: "hooks.example.com") == .name("hooks.example.com"))
        #expect(try WebhookURLPolicy.publicOnly.check(host: "Hooks.Example.COM.") == .name("hooks.example.com"))
        #expect(try WebhookURLPolicy.publicOnly.check(host: "8.8.8.8") == .address(.v4(0x0808_0808)))
        // Names that merely contain "localhost" are names like any other.
        #expect(try WebhookURLPolicy.publicOnly.check(host: "localhost-hooks.example.com") == .name("localhost-hooks.example.com"))
        #expect(try WebhookURLPolicy.publicOnly.check(host: "1e5") == .name("1e5"))
    }

    /// A host no resolver would look up is refused as written, even when any address is
    /// allowed: it could only make an endpoint whose every delivery fails.
    @Test(arguments: [
        "-a.com", "a-.com", "hooks.-a.com", "hooks.a-.com", "a..com", ".a.com", "a.com..", ".", "-", "a_b.com", "hooks.ex ample.com",
        String(repeating: "a", count: 64) + ".com", "1.2.3.-4", "-1.2.3.4",
    ])
    func malformedNamesAreRefusedWhateverTheOperatorAllows(host: String) {
        #expect(throws: WebhookURLPolicy.Refusal.malformedName(host)) { try WebhookURLPolicy.publicOnly.check(host: host) }
        #expect(throws: WebhookURLPolicy.Refusal.malformedName(host)) { try WebhookURLPolicy.anyAddress.check(host: host) }
        #expect(!WebhookURLPolicy.isHostName(host))
    }

    @Test(arguments: [
        "a", "a.com", "a.com.", "x-1.example", "xn--bcher-kva.example", "1e5", "8.8.8.8", "0x7f.1",
        String(repeating: "a", count: 63) + ".com", "a." + String(repeating: "b", count: 63),
    ])
    func hostNamesAreLabelsOfLettersDigitsAndInnerHyphens(host: String) {
        #expect(WebhookURLPolicy.isHostName(host))
    }

    @Test func aMalformedNameIsExplained() {
        let message = WebhookURLPolicy.Refusal.malformedName("-a.com").description
        #expect(message.contains("-a.com") && message.contains("63"))
    }

    @Test func privateHostsAreAcceptedWhenTheOperatorAllowsThem() throws {
        #expect(try WebhookURLPolicy.anyAddress.check(host: "127.0.0.1") == .address(.v4(0x7F00_0001)))
        #expect(try WebhookURLPolicy.anyAddress.check(host: "localhost") == .name("localhost"))
    }

    @Test func refusalsSayWhatIsWrongAndHowToAllowIt() {
        let refusal = WebhookURLPolicy.Refusal.nonPublicAddress(.v4(0x7F00_0001), .loopback)
        #expect(refusal.description.contains("127.0.0.1 is loopback"))
        #expect(refusal.description.contains("TRIBUTE_WEBHOOK_ALLOW_PRIVATE=1"))
    }

    /// At delivery, one non-public address among a name's answers refuses the delivery.
    @Test func aNameIsRefusedIfAnyOfItsAddressesIsNotPublic() throws {
        let publicV4 = IPAddress.v4(0x0808_0808)
        let mappedLoopback = try #require(IPAddress(ipv6: "::ffff:127.0.0.1"))
        try WebhookURLPolicy.publicOnly.check(host: "hooks.example.com", resolvedTo: [publicV4])
        #expect(throws: WebhookURLPolicy.Refusal.resolvesToNonPublicAddress(host: "rebind.example", mappedLoopback, .loopback)) {
            try WebhookURLPolicy.publicOnly.check(host: "rebind.example", resolvedTo: [publicV4, mappedLoopback])
        }
        #expect(throws: WebhookURLPolicy.Refusal.unresolvable("nothing.example")) {
            try WebhookURLPolicy.publicOnly.check(host: "nothing.example", resolvedTo: [])
        }
        try WebhookURLPolicy.anyAddress.check(host: "rebind.example", resolvedTo: [mappedLoopback])
    }

    @Test(arguments: [
        ("https://hooks.example.com/x", "hooks.example.com"), ("http://127.0.0.1:8080/hook", "127.0.0.1"), ("http://a.b", "a.b"),
        ("http://[::1]:80/x", "::1"), ("https://h.example?x=1", "h.example"),
    ])
    func theHostIsReadFromAURL(url: String, host: String) {
        #expect(WebhookURLPolicy.host(ofURL: url) == host)
    }
}
