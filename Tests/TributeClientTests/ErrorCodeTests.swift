import Foundation
import Testing
@testable import TributeClient

/// Every error code the server can send has its own case.
@Suite struct ErrorCodeTests {
    @Test func everyKnownCodeRoundTripsAndAnUnknownOneIsKept() {
        for code in ServerErrorCode.allKnown {
            #expect(ServerErrorCode(code: code.code) == code)
        }
        #expect(Set(ServerErrorCode.allKnown.map(\.code)).count == ServerErrorCode.allKnown.count)
        #expect(ServerErrorCode(code: "brand_new") == .unknown("brand_new"))
    }

    /// Reads the codes out of the server's sources: `code: "..."` at the HTTP edge and the
    /// domain's `TributeError.code`.
    @Test func everyCodeInTheServersSourcesIsKnown() throws {
        let root = Executables.root.appendingPathComponent("Sources")
        var codes = Set<String>()
        func scan(_ file: URL, _ pattern: String) throws {
            let text = try String(contentsOf: file, encoding: .utf8)
            let expression = try NSRegularExpression(pattern: pattern)
            for match in expression.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                if let range = Range(match.range(at: 1), in: text) { codes.insert(String(text[range])) }
            }
        }
        let server = root.appendingPathComponent("TributeServer")
        let enumerator = FileManager.default.enumerator(atPath: server.path)
        while let file = enumerator?.nextObject() as? String {
            guard file.hasSuffix(".swift") else { continue }
            try scan(server.appendingPathComponent(file), #"code: "([a-z]+(?:_[a-z]+)*)""#)
        }
        try scan(root.appendingPathComponent("TributeCore/TributeError.swift"), #"case \.[A-Za-z]+: "([a-z]+(?:_[a-z]+)*)""#)
        #expect(codes.count >= 30, "the scan found the codes: \(codes.sorted())")
        let unknown = codes.filter { if case .unknown = ServerErrorCode(code: $0) { true } else { false } }
        #expect(unknown.isEmpty, "codes without a case: \(unknown.sorted())")
    }
}
