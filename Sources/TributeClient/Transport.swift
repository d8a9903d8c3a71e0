import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// One HTTP request of the API, before the base URL and key are added.
struct WireRequest: Sendable {
    var method: HTTPMethod
    /// Path and query, such as `/v1/holds/hld_1/commit`.
    var path: String
    /// JSON text, or `nil` for none.
    var body: String? = nil
    /// The same on every attempt of one logical call.
    var idempotencyKey: String? = nil
}

/// One HTTP answer, its body read whole.
struct WireResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]
}

/// An answer too large to be one of the API's.
struct AnswerTooLarge: Error {}

/// An attempt that did not end, its answer read whole, within its time: a failure in
/// transit, retried.
struct AttemptTimedOut: Error, CustomStringConvertible {
    let millis: Int64
    var description: String { "no whole answer within \(millis) ms" }
}

/// Sends one attempt. Any error it throws counts as a failure in transit (retried), except
/// `AnswerTooLarge`. Tests put a wrapper here to lose answers on purpose.
protocol Transport: Sendable {
    func send(_ request: WireRequest, timeoutMillis: Int64) async throws -> WireResponse
}

/// The transport over AsyncHTTPClient.
struct HTTPClientTransport: Transport {
    /// Answers are small JSON documents; a larger one is refused rather than buffered.
    static let maxAnswerBytes = 4 << 20

    let http: HTTPClient
    /// Without a trailing `/`.
    let baseURL: String
    let apiKey: String

    /// One attempt, bounded as a whole by `timeoutMillis`: AsyncHTTPClient's own deadline
    /// ends with the answer's head, so a server that stalls or trickles the body would
    /// otherwise hold the attempt — and a `withHold` release — without end.
    func send(_ wire: WireRequest, timeoutMillis: Int64) async throws -> WireResponse {
        try await withThrowingTaskGroup(of: WireResponse.self) { group in
            group.addTask { try await exchange(wire, timeoutMillis: timeoutMillis) }
            group.addTask {
                try await Task.sleep(for: .milliseconds(timeoutMillis))
                throw AttemptTimedOut(millis: timeoutMillis)
            }
            defer { group.cancelAll() }
            guard let response = try await group.next() else { throw AttemptTimedOut(millis: timeoutMillis) }
            return response
        }
    }

    private func exchange(_ wire: WireRequest, timeoutMillis: Int64) async throws -> WireResponse {
        var request = HTTPClientRequest(url: baseURL + wire.path)
        request.method = wire.method
        request.headers.add(name: "Authorization", value: "Bearer \(apiKey)")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "TributeClient")
        if let key = wire.idempotencyKey { request.headers.add(name: "Idempotency-Key", value: key) }
        if let body = wire.body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await http.execute(request, timeout: .milliseconds(timeoutMillis))
        let buffer: ByteBuffer
        do {
            buffer = try await response.body.collect(upTo: Self.maxAnswerBytes)
        } catch is NIOTooManyBytesError {
            throw AnswerTooLarge()
        }
        return WireResponse(status: Int(response.status.code), headers: response.headers, body: Array(buffer.readableBytesView))
    }
}
