import Foundation
import NIOHTTP1
import Testing
import TributeCore
@testable import TributeClient

/// What the client makes of each kind of answer, with scripted answers and no server.
@Suite struct ScriptedAnswerTests {
    static let decision = #"{"success":true,"reason":"APPROVED","message":"Debit successful","debitAmount":0.1,"actionsCharged":1,"fromAllowance":0,"remainingBalance":99.9,"remainingAllowance":0,"transactionId":"txn_1","decisionId":"dec_1","costVersion":1}"#
    // A budget far above what the attempts take, so that a loaded machine never cuts them short.
    static let quick = TributeClient.RetryPolicy(maxAttempts: 4, baseDelayMillis: 1, maxDelayMillis: 5, totalBudgetMillis: 600_000)

    func run(_ script: [WireResponse]) async -> (result: Result<Decision, any Error>, attempts: Int) {
        let transport = ScriptedTransport(script)
        let tribute = client(transport, retry: Self.quick)
        do {
            return (.success(try await tribute.authorizeAndDebit(workspaceId: "w", actionType: "SIMPLE_LLM")), transport.attempts)
        } catch {
            return (.failure(error), transport.attempts)
        }
    }

    @Test(arguments: [500, 502, 503, 504])
    func aServerFaultIsRetriedUntilAnAnswerComes(status: Int) async throws {
        let outcome = await run([.answer(status, #"{"error":{"code":"unavailable","message":"down"}}"#), .answer(status, "<html>proxy</html>"),
                                 .answer(200, Self.decision, headers: [("Idempotent-Replayed", "true")])])
        let decision = try outcome.result.get()
        #expect(decision.success && decision.replayed && decision.debitAmount == .of("0.1") && outcome.attempts == 3)
    }

    /// A denial for want of credits says whether auto top-up is buying some (wait) or not
    /// (stop); a state this client does not know is kept, never an error.
    @Test func aDenialSaysWhetherAutoTopUpIsWorthWaitingFor() async throws {
        let denial = #"{"success":false,"reason":"INSUFFICIENT_BALANCE","message":"Insufficient balance","debitAmount":0,"actionsCharged":1,"fromAllowance":0,"remainingBalance":0,"remainingAllowance":0,"decisionId":"dec_1","costVersion":1,"autoTopup":{"state":"pending"}}"#
        let pending = try await run([.answer(200, denial)]).result.get()
        #expect(pending.reason == .insufficientBalance && pending.autoTopup == AutoTopupNotice(state: .pending, reason: nil) && pending.autoTopup?.isWorthWaiting == true)
        let blocked = denial.replacingOccurrences(of: #"{"state":"pending"}"#, with: #"{"reason":"card_declined","state":"suspended"}"#)
        let suspended = try await run([.answer(200, blocked)]).result.get()
        #expect(suspended.autoTopup == AutoTopupNotice(state: .suspended, reason: "card_declined") && suspended.autoTopup?.isWorthWaiting == false)
        let newer = denial.replacingOccurrences(of: #""pending""#, with: #""paused""#)
        #expect(try await run([.answer(200, newer)]).result.get().autoTopup?.state == .unknown("paused"))
        #expect(try await run([.answer(200, Self.decision)]).result.get().autoTopup == nil)
    }

    /// A `Retry-After` longer than what is left of the budget: the 429 is thrown at once,
    /// typed (the server is reachable: no outage).
    @Test func aRetryAfterBeyondTheBudgetThrowsTheRateLimitAtOnce() async {
        let transport = ScriptedTransport([.answer(429, #"{"error":{"code":"rate_limited","message":"slow down"}}"#, headers: [("Retry-After", "1")])])
        let hasty = client(transport, retry: .init(maxAttempts: 5, baseDelayMillis: 50, maxDelayMillis: 5_000, totalBudgetMillis: 300))
        do {
            _ = try await hasty.authorizeAndDebit(workspaceId: "w", actionType: "SIMPLE_LLM")
            Issue.record("a 429 was taken for an answer")
        } catch TributeClientError.server(.rateLimited, 429, _) {
            #expect(transport.attempts == 1)
        } catch {
            Issue.record("expected rate_limited, got \(error)")
        }
    }

    @Test func aServerFaultThatLastsIsAnOutageAfterMaxAttempts() async {
        let outcome = await run([.answer(503, #"{"error":{"code":"not_ready","message":"starting"}}"#)])
        guard case .failure(TributeClientError.unavailable(4, let lastFailure)) = outcome.result else {
            Issue.record("expected unavailable, got \(outcome.result)")
            return
        }
        #expect(lastFailure.contains("not_ready") && outcome.attempts == 4)
    }

    @Test(arguments: [(400, "malformed_request", ServerErrorCode.malformedRequest), (401, "unauthenticated", .unauthenticated),
                      (403, "forbidden", .forbidden), (404, "workspace_not_found", .workspaceNotFound), (409, "idempotency_key_reused", .idempotencyKeyReused),
                      (413, "payload_too_large", .payloadTooLarge), (422, "unknown_action_type", .unknownActionType),
                      (501, "http_501", .unknown("http_501")), (418, "a_new_code", .unknown("a_new_code"))])
    func anErrorAnswerIsThrownTypedAtOnceAndNeverRetried(status: Int, code: String, expected: ServerErrorCode) async {
        let outcome = await run([.answer(status, #"{"error":{"code":"\#(code)","message":"no"}}"#), .answer(200, Self.decision)])
        guard case .failure(TributeClientError.server(let thrown, let thrownStatus, "no")) = outcome.result else {
            Issue.record("expected a server error, got \(outcome.result)")
            return
        }
        #expect(thrown == expected && thrownStatus == status && outcome.attempts == 1)
    }

    @Test(arguments: [
        (200, "not json"), (200, "[1,2]"), (200, #"{"success":true}"#),
        (200, #"{"success":"yes","reason":"APPROVED","message":"m","debitAmount":0,"actionsCharged":1,"fromAllowance":0,"remainingBalance":1,"remainingAllowance":0,"decisionId":"d"}"#),
        (200, #"{"success":true,"reason":"APPROVED","message":"m","debitAmount":0.0000001,"actionsCharged":1,"fromAllowance":0,"remainingBalance":1,"remainingAllowance":0,"decisionId":"d"}"#),
        (200, #"{"success":true,"reason":"APPROVED","message":"m","debitAmount":1e400,"actionsCharged":1,"fromAllowance":0,"remainingBalance":1,"remainingAllowance":0,"decisionId":"d"}"#),
        (404, "<html>Not Found</html>"), (400, #"{"error":"flat"}"#), (200, ""),
    ])
    func anAnswerThatIsNotTheAPIsIsAnInvalidResponseNotACrash(status: Int, body: String) async {
        let outcome = await run([.answer(status, body)])
        guard case .failure(TributeClientError.invalidResponse(let thrownStatus, _)) = outcome.result else {
            Issue.record("expected invalidResponse, got \(outcome.result)")
            return
        }
        #expect(thrownStatus == status && outcome.attempts == 1)
    }

    @Test func anUnknownReasonIsKeptNotRefused() async throws {
        let body = Self.decision.replacingOccurrences(of: #""success":true,"reason":"APPROVED""#, with: #""success":false,"reason":"COOLING_OFF""#)
        let decision = try await run([.answer(200, body)]).result.get()
        #expect(decision.reason == .unknown("COOLING_OFF") && decision.reason.rawValue == "COOLING_OFF")
    }

    @Test func amountsAreReadExactlyFromTheNumbersText() async throws {
        let body = Self.decision.replacingOccurrences(of: #""remainingBalance":99.9"#, with: #""remainingBalance":999999999999.999999"#)
        let decision = try await run([.answer(200, body)]).result.get()
        #expect(decision.remainingBalance == Amount(micros: 999_999_999_999_999_999))
    }

    @Test func theRequestCarriesTheMultiplierAsExactDecimalTextAndLeavesOutWhatIsNotGiven() async throws {
        let transport = RecordingScript()
        let tribute = client(transport, retry: Self.quick)
        _ = try await tribute.authorizeAndDebit(workspaceId: "w", actionType: "COMPLEX_LLM", costMultiplier: .of("4.096"), runId: "r")
        let body = try #require(transport.bodies.first ?? nil)
        #expect(body == #"{"actionType":"COMPLEX_LLM","costMultiplier":4.096,"runId":"r","workspaceId":"w"}"#)
    }

    @Test(arguments: ["ftp://host", "http://", "not a url", "http://host/?q=1", ""])
    func aBaseURLThatIsNotHTTPIsRefused(url: String) {
        #expect(throws: TributeClientError.self) { _ = try TributeClient(baseURL: url, apiKey: "trb_x", httpClient: .shared) }
    }

    @Test func anAPIKeyThatCouldBreakTheHeaderIsRefused() {
        #expect(throws: TributeClientError.self) { _ = try TributeClient(baseURL: "http://127.0.0.1:1", apiKey: "trb_x\r\nX: y", httpClient: .shared) }
    }
}

/// Answers every attempt with an approval and keeps the request bodies.
final class RecordingScript: Transport, @unchecked Sendable {
    private let lock = Lock()
    // Guarded by `lock`.
    private var sent: [String?] = []

    var bodies: [String?] { lock.withLock { sent } }

    func send(_ request: WireRequest, timeoutMillis: Int64) async throws -> WireResponse {
        lock.withLock { sent.append(request.body) }
        return .answer(200, ScriptedAnswerTests.decision)
    }
}

extension WireResponse {
    static func answer(_ status: Int, _ body: String, headers: [(String, String)] = []) -> WireResponse {
        ScriptedTransport.answer(status, body, headers: headers)
    }
}
