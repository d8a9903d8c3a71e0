import Testing
import TributeCore
import TributePayments

struct StripeEventTests {
    static func parse(_ text: String) throws -> StripeEvent { try StripeEvent.parse(Array(text.utf8)) }

    @Test func paymentIntentSucceededNamesThePurchaseAndTheAmountReceived() throws {
        let event = try Self.parse(#"{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","amount":1000,"amount_received":1000,"currency":"USD","metadata":{"tribute_purchase_id":"pur_1"}}}}"#)
        #expect(event.payment == .succeeded(paymentIntentId: "pi_1", purchaseId: "pur_1", amountReceivedCents: 1000, currency: "usd"))
    }

    @Test func failuresAndRefundsAreRead() throws {
        let failed = try Self.parse(#"{"id":"evt_2","type":"payment_intent.payment_failed","data":{"object":{"id":"pi_2","last_payment_error":{"message":"Your card was declined."}}}}"#)
        #expect(failed.payment == .failed(paymentIntentId: "pi_2", purchaseId: nil, reason: "Your card was declined."))
        let refunded = try Self.parse(#"{"id":"evt_3","type":"charge.refunded","data":{"object":{"id":"ch_1","payment_intent":"pi_3","amount_refunded":250}}}"#)
        #expect(refunded.payment == .refunded(paymentIntentId: "pi_3", refundedTotalCents: 250))
    }

    @Test func otherTypesAreKeptWithoutAPayment() throws {
        let event = try Self.parse(#"{"id":"evt_4","type":"customer.created","data":{"object":{"id":"cus_1"}}}"#)
        #expect(event.type == "customer.created" && event.payment == nil)
    }

    @Test(arguments: [
        "not json", "[]", #"{"type":"payment_intent.succeeded"}"#,
        #"{"id":"evt","type":"payment_intent.succeeded","data":{"object":{"id":"pi","currency":"usd"}}}"#,
        #"{"id":"evt","type":"payment_intent.succeeded","data":{"object":{"id":"pi","amount":-5,"currency":"usd"}}}"#,
        #"{"id":"evt","type":"payment_intent.succeeded","data":{"object":{"id":"pi","amount":10.5,"currency":"usd"}}}"#,
        #"{"id":"evt","type":"charge.refunded","data":{"object":{"id":"ch","amount_refunded":5}}}"#,
    ])
    func incompleteEventsOfKnownTypesAreRefused(payload: String) {
        #expect(throws: StripeEvent.Malformed.self) { try Self.parse(payload) }
    }
}
