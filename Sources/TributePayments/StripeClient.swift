import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import TributeCore

/// A PaymentIntent, as much of it as Tribute uses.
public struct PaymentIntent: Sendable, Equatable {
    public var id: String
    public var clientSecret: String?
    public var status: String
    public var amountCents: Int64
    public var currency: String
    public var metadata: [String: String]
}

/// What went wrong talking to Stripe.
public enum StripeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stripe answered with its error object (`{"error":{"type","code","message"}}`).
    case api(status: Int, type: String, code: String?, message: String)
    /// No answer in time, or none at all, after every attempt.
    case unreachable(String)
    /// An answer that is not the JSON Stripe documents.
    case malformedAnswer(String)

    public var description: String {
        switch self {
        case .api(let status, let type, let code, let message): "Stripe answered \(status) \(type)\(code.map { " (\($0))" } ?? ""): \(message)"
        case .unreachable(let why): "Stripe could not be reached: \(why)"
        case .malformedAnswer(let why): "Stripe's answer could not be read: \(why)"
        }
    }
}

/// Stripe's HTTP API on AsyncHTTPClient: form-encoded requests with the secret key as
/// bearer token, an `Idempotency-Key` on every POST, a timeout per attempt and bounded
/// retries (with backoff) of what failed in transit or answered 429 or 5xx.
public struct StripeClient: Sendable {
    public let configuration: StripeConfiguration
    let http: HTTPClient

    public init(configuration: StripeConfiguration, http: HTTPClient = .shared) {
        self.configuration = configuration
        self.http = http
    }

    /// Creates a PaymentIntent for `amountCents`; `paymentMethod` attaches a saved payment
    /// method, leaving the customer to confirm (or a server to confirm it later).
    public func createPaymentIntent(amountCents: Int64, currency: String, metadata: [String: String], paymentMethod: String?,
                                    idempotencyKey: String) async throws(StripeError) -> PaymentIntent {
        var fields: [(name: String, value: String)] = [("amount", String(amountCents)), ("currency", currency)]
        for (name, value) in metadata.sorted(by: { $0.key < $1.key }) { fields.append(("metadata[\(name)]", value)) }
        if let paymentMethod { fields.append(("payment_method", paymentMethod)) }
        return try StripeClient.paymentIntent(try await send(.POST, "/v1/payment_intents", fields: fields, idempotencyKey: idempotencyKey))
    }

    /// Confirms a PaymentIntent with the payment method it was created with (the server-side
    /// flow for a saved card).
    public func confirmPaymentIntent(id: String, idempotencyKey: String) async throws(StripeError) -> PaymentIntent {
        try StripeClient.paymentIntent(try await send(.POST, "/v1/payment_intents/" + FormEncoding.escape(id) + "/confirm", fields: [], idempotencyKey: idempotencyKey))
    }

    public func paymentIntent(id: String) async throws(StripeError) -> PaymentIntent {
        try StripeClient.paymentIntent(try await send(.GET, "/v1/payment_intents/" + FormEncoding.escape(id), fields: [], idempotencyKey: nil))
    }

    func send(_ method: HTTPMethod, _ path: String, fields: [(name: String, value: String)], idempotencyKey: String?) async throws(StripeError) -> JSON {
        var request = HTTPClientRequest(url: configuration.apiBase + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(configuration.secretKey)")
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        if method == .POST {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: FormEncoding.encode(fields)))
        }
        var lastFailure = StripeError.unreachable("no attempt was made")
        for attempt in 0..<configuration.maxAttempts {
            if attempt > 0 {
                // 0.5 s, 1 s, 2 s, … between attempts.
                try? await Task.sleep(for: .milliseconds(500 << (attempt - 1)))
            }
            let status: Int, bytes: ByteBuffer
            do {
                let response = try await http.execute(request, timeout: .seconds(configuration.timeoutSeconds))
                status = Int(response.status.code)
                bytes = try await response.body.collect(upTo: 1 << 20)
            } catch {
                lastFailure = .unreachable("\(error)")
                continue
            }
            let json: JSON
            do {
                json = try JSON.parse(Array(bytes.readableBytesView))
            } catch {
                lastFailure = .malformedAnswer("HTTP \(status), not JSON")
                if status >= 500 { continue }
                throw lastFailure
            }
            if (200..<300).contains(status) { return json }
            let error = json.objectValue?["error"]?.objectValue
            lastFailure = .api(
                status: status, type: error?["type"]?.stringValue ?? "api_error", code: error?["code"]?.stringValue,
                message: error?["message"]?.stringValue ?? "HTTP \(status)")
            guard status == 429 || status >= 500 else { throw lastFailure }
        }
        throw lastFailure
    }

    static func paymentIntent(_ json: JSON) throws(StripeError) -> PaymentIntent {
        guard let object = json.objectValue, let id = object["id"]?.stringValue, let status = object["status"]?.stringValue,
              case .number(let amountText)? = object["amount"], let amount = Int64(amountText), let currency = object["currency"]?.stringValue else {
            throw .malformedAnswer("a PaymentIntent without id, status, amount or currency")
        }
        var metadata: [String: String] = [:]
        for (name, value) in object["metadata"]?.objectValue ?? [:] { if let text = value.stringValue { metadata[name] = text } }
        return PaymentIntent(id: id, clientSecret: object["client_secret"]?.stringValue, status: status, amountCents: amount,
                             currency: currency, metadata: metadata)
    }
}
