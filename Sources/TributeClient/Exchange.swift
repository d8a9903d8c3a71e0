import Foundation
import NIOHTTP1
import TributeCore

/// A 2xx answer: its JSON, and whether the server replayed it for an idempotency key.
struct Answer: Sendable {
    let json: JSON
    let replayed: Bool
    let status: Int
}

/// One logical call over a transport: its attempts, the delays between them, and what its
/// answer means. The request — idempotency key included — is the same on every attempt.
struct Exchange: Sendable {
    let transport: any Transport
    let policy: TributeClient.RetryPolicy
    let requestTimeoutMillis: Int64
    var random: @Sendable (ClosedRange<Int64>) -> Int64 = { Int64.random(in: $0) }

    /// A failure that a later attempt may not have.
    private enum Retryable {
        /// No answer: connection refused or reset, a timeout.
        case transport(String)
        /// 500, 502, 503 or 504.
        case serverFault(status: Int, code: String, message: String, retryAfterSeconds: Int64?)
        /// 429 `rate_limited` or `overloaded`.
        case tooManyRequests(code: String, message: String, retryAfterSeconds: Int64?)

        var retryAfterSeconds: Int64? {
            switch self {
            case .transport: nil
            case .serverFault(_, _, _, let seconds), .tooManyRequests(_, _, let seconds): seconds
            }
        }

        /// What the call throws when no attempt is left: an outage, or the 429 itself (a
        /// server that answers is reachable).
        func finalError(attempts: Int) -> TributeClientError {
            switch self {
            case .transport(let why): .unavailable(attempts: attempts, lastFailure: why)
            case .serverFault(let status, let code, let message, _): .unavailable(attempts: attempts, lastFailure: "HTTP \(status) \(code): \(message)")
            case .tooManyRequests(let code, let message, _): .server(code: ServerErrorCode(code: code), status: 429, message: message)
            }
        }
    }

    private enum Verdict {
        case answer(Answer)
        case retry(Retryable)
    }

    /// The call's 2xx answer, after as many attempts as the policy allows.
    /// - Throws: `TributeClientError.server` for an error answer (at once, or once 429s
    ///   outlast the policy), `.unavailable` when every attempt failed in transit or with a
    ///   5xx, `.invalidResponse` for an answer that is not the API's, `CancellationError`
    ///   when the task is cancelled.
    func perform(_ request: WireRequest) async throws -> Answer {
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(policy.totalBudgetMillis)
        var attempt = 0
        while true {
            attempt += 1
            try Task.checkCancellation()
            let leftMillis = Self.millis(deadline - clock.now)
            let failure: Retryable
            do {
                let response = try await transport.send(request, timeoutMillis: max(1, min(requestTimeoutMillis, leftMillis)))
                switch try Self.verdict(response) {
                case .answer(let answer): return answer
                case .retry(let retryable): failure = retryable
                }
            } catch let error as TributeClientError {
                throw error
            } catch is AnswerTooLarge {
                throw TributeClientError.invalidResponse(status: 0, detail: "an answer larger than \(HTTPClientTransport.maxAnswerBytes) bytes")
            } catch {
                if Task.isCancelled { throw CancellationError() }
                failure = .transport(String(describing: error))
            }
            guard attempt < policy.maxAttempts else { throw failure.finalError(attempts: attempt) }
            let delayMillis = Backoff.delayMillis(afterAttempt: attempt, retryAfterSeconds: failure.retryAfterSeconds, policy: policy, random: random)
            // A retry that could not start within the budget is not worth waiting for.
            guard clock.now + .milliseconds(delayMillis) < deadline else { throw failure.finalError(attempts: attempt) }
            try await Task.sleep(for: .milliseconds(delayMillis))
        }
    }

    /// What one answer means: the 2xx's JSON, a failure worth retrying, or a thrown error.
    private static func verdict(_ response: WireResponse) throws -> Verdict {
        let status = response.status
        let json = try? JSON.parse(response.body)
        if (200..<300).contains(status) {
            guard let json else { throw TributeClientError.invalidResponse(status: status, detail: "the body is not JSON") }
            let replayed = response.headers.first(name: "Idempotent-Replayed")?.lowercased() == "true"
            return .answer(Answer(json: json, replayed: replayed, status: status))
        }
        let error = json?.objectValue?["error"]?.objectValue
        let code = error?["code"]?.stringValue
        let message = error?["message"]?.stringValue ?? "HTTP \(status)"
        let retryAfterSeconds = response.headers.first(name: "Retry-After").flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
        switch status {
        case 429:
            return .retry(.tooManyRequests(code: code ?? "rate_limited", message: message, retryAfterSeconds: retryAfterSeconds))
        case 500, 502, 503, 504:
            return .retry(.serverFault(status: status, code: code ?? "http_\(status)", message: message, retryAfterSeconds: retryAfterSeconds))
        default:
            guard let code else { throw TributeClientError.invalidResponse(status: status, detail: "HTTP \(status) without an error body") }
            throw TributeClientError.server(code: ServerErrorCode(code: code), status: status, message: message)
        }
    }

    private static func millis(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
