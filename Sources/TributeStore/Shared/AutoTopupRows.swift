import TributeCore

/// The tables of auto top-up (SPEC §3.8) as both stores read and write them: the settings
/// and saved card (`auto_topups`, one row per workspace that has either) and the attempts
/// (`auto_topup_attempts`, the outbox; an attempt's charge is the purchase with its id).
enum AutoTopupRows {
    /// What `auto_topups` holds for a workspace.
    struct Stored: Sendable, Equatable {
        var packageId: String?
        var target: Amount?
        var maxChargesPerDay: Int?
        var maxCentsPerMonth: Int64?
        var customerId: String?
        var card: SavedCard?
        var blockedFingerprint: String?
        /// The workspace's threshold (kept on its row, where the kernel reads it, also while
        /// auto top-up is off).
        var threshold: Amount?

        /// The settings, with the threshold and whether it is on from the workspace's
        /// trigger columns; `nil` before the owner first put them.
        func settings(threshold: Amount, enabled: Bool) -> AutoTopupSettings? {
            guard let packageId, let maxCentsPerMonth else { return nil }
            return AutoTopupSettings(enabled: enabled, packageId: packageId, threshold: threshold, mode: target.map { .target($0) } ?? .threshold,
                                     limits: AutoTopup.Limits(maxChargesPerDay: maxChargesPerDay ?? 5, maxCentsPerMonth: maxCentsPerMonth))
        }
    }

    static func stored(workspaceId: String) -> StoreStatement {
        StoreStatement("""
            SELECT a.package_id, a.target_micros, a.max_charges_per_day, a.max_cents_per_month, a.customer_id, a.payment_method_id, a.card_brand,
                a.card_last4, a.card_fingerprint, a.blocked_fingerprint, w.auto_topup_threshold_micros
            FROM auto_topups a JOIN workspaces w ON w.id = a.workspace_id WHERE a.workspace_id = ?
            """, [.text(workspaceId)])
    }

    static func stored(_ columns: inout some ColumnReader) throws -> Stored {
        let packageId = try columns.optionalText(), target = try columns.optionalInt(), perDay = try columns.optionalInt()
        let perMonth = try columns.optionalInt(), customer = try columns.optionalText(), method = try columns.optionalText()
        let brand = try columns.optionalText(), last4 = try columns.optionalText(), fingerprint = try columns.optionalText()
        let blocked = try columns.optionalText(), threshold = try columns.optionalInt()
        var card: SavedCard?
        if let method, let fingerprint { card = SavedCard(paymentMethodId: method, brand: brand ?? "card", last4: last4 ?? "", fingerprint: fingerprint) }
        return Stored(packageId: packageId, target: target.map(Amount.init(micros:)), maxChargesPerDay: perDay.map { Int(clamping: $0) },
                      maxCentsPerMonth: perMonth, customerId: customer, card: card, blockedFingerprint: blocked,
                      threshold: threshold.map(Amount.init(micros:)))
    }

    /// The workspace's row, made empty if it has none.
    static func ensure(workspaceId: String, nowMillis: Int64) -> StoreStatement {
        StoreStatement("INSERT INTO auto_topups (workspace_id, updated_at) VALUES (?, ?) ON CONFLICT DO NOTHING", [.text(workspaceId), .int(nowMillis)])
    }

    static func putSettings(_ settings: AutoTopupSettings, workspaceId: String, nowMillis: Int64) -> [StoreStatement] {
        var target: Int64?
        if case .target(let amount) = settings.mode { target = amount.micros }
        return [
            ensure(workspaceId: workspaceId, nowMillis: nowMillis),
            StoreStatement("""
                UPDATE auto_topups SET package_id = ?, target_micros = ?, max_charges_per_day = ?, max_cents_per_month = ?, updated_at = ?
                WHERE workspace_id = ?
                """, [.text(settings.packageId), .int(target), .int(Int64(settings.limits.maxChargesPerDay)), .int(settings.limits.maxCentsPerMonth),
                      .int(nowMillis), .text(workspaceId)]),
            // Kept while it is off, for the settings to show.
            StoreStatement("UPDATE workspaces SET auto_topup_threshold_micros = ? WHERE id = ?", [.int(settings.threshold.micros), .text(workspaceId)]),
        ]
    }

    /// Records the workspace's Stripe Customer, unless one is recorded already (the first
    /// wins; the caller reads back which).
    static func setCustomer(_ customerId: String, workspaceId: String, nowMillis: Int64) -> [StoreStatement] {
        [ensure(workspaceId: workspaceId, nowMillis: nowMillis),
         StoreStatement("UPDATE auto_topups SET customer_id = ?, updated_at = ? WHERE workspace_id = ? AND customer_id IS NULL",
                        [.text(customerId), .int(nowMillis), .text(workspaceId)])]
    }

    static func saveCard(_ card: SavedCard, customerId: String?, workspaceId: String, nowMillis: Int64) -> [StoreStatement] {
        [ensure(workspaceId: workspaceId, nowMillis: nowMillis),
         StoreStatement("""
            UPDATE auto_topups SET payment_method_id = ?, card_brand = ?, card_last4 = ?, card_fingerprint = ?, customer_id = COALESCE(customer_id, ?),
                updated_at = ? WHERE workspace_id = ?
            """, [.text(card.paymentMethodId), .text(card.brand), .text(card.last4), .text(card.fingerprint), .text(customerId), .int(nowMillis),
                  .text(workspaceId)])]
    }

    /// The workspace whose Stripe Customer is `customerId` (a setup's webhook names only
    /// the customer when its metadata is lost): read rarely, over a table of one row per
    /// workspace with auto top-up, so no index.
    static func workspace(customerId: String) -> StoreStatement {
        StoreStatement("SELECT workspace_id FROM auto_topups WHERE customer_id = ?", [.text(customerId)])
    }

    // MARK: Attempts

    private static let attemptColumns = """
        a.id, a.workspace_id, a.status, a.available_micros, a.packages, p.amount_cents, p.credits_micros, p.currency, a.capped_by, \
        p.payment_intent_id, a.reason, a.created_at, a.updated_at, a.tries
        """
    private static let attemptFrom = "auto_topup_attempts a LEFT JOIN purchases p ON p.id = a.id"

    static func attempt(_ columns: inout some ColumnReader) throws -> (attempt: AutoTopupAttempt, tries: Int) {
        let id = try columns.text(), workspaceId = try columns.text()
        let status = try columns.value(AutoTopupAttempt.Status.self, column: "auto_topup_attempts.status")
        let available = try columns.amount(), packages = try columns.optionalInt(), cents = try columns.optionalInt()
        let credits = try columns.optionalInt(), currency = try columns.optionalText(), capped = try columns.optionalText()
        let intent = try columns.optionalText(), reason = try columns.optionalText(), created = try columns.int(), updated = try columns.int()
        let tries = try columns.int()
        let attempt = AutoTopupAttempt(id: id, workspaceId: workspaceId, status: status, available: available, packages: packages, cents: cents,
                                       credits: credits.map(Amount.init(micros:)), currency: currency, cappedBy: capped.flatMap(AutoTopup.Limit.init(rawValue:)),
                                       paymentIntentId: intent, reason: reason, createdAtMillis: created, updatedAtMillis: updated)
        return (attempt, Int(clamping: tries))
    }

    static func attempt(id: String) -> StoreStatement {
        StoreStatement("SELECT \(attemptColumns) FROM \(attemptFrom) WHERE a.id = ?", [.text(id)])
    }

    /// The workspace's newest attempt.
    static func last(workspaceId: String) -> StoreStatement {
        StoreStatement("SELECT \(attemptColumns) FROM \(attemptFrom) WHERE a.workspace_id = ? ORDER BY a.created_at DESC, a.seq DESC LIMIT 1", [.text(workspaceId)])
    }

    /// The workspace's attempts, newest first, at most `limit`.
    static func recent(workspaceId: String, limit: Int) -> StoreStatement {
        StoreStatement("SELECT \(attemptColumns) FROM \(attemptFrom) WHERE a.workspace_id = ? ORDER BY a.created_at DESC, a.seq DESC LIMIT ?",
                       [.text(workspaceId), .int(Int64(limit))])
    }

    /// What the limits count: charges made since `dayStartMillis` and cents since
    /// `monthStartMillis` (the day lies inside the month), of attempts that are charging or
    /// whose purchase was paid (a failure finished on-session counts), through the
    /// workspace's attempts by time.
    static func spent(workspaceId: String, dayStartMillis: Int64, monthStartMillis: Int64) -> StoreStatement {
        StoreStatement("""
            SELECT CAST(COALESCE(SUM(CASE WHEN a.created_at >= ? THEN 1 ELSE 0 END), 0) AS BIGINT), CAST(COALESCE(SUM(p.amount_cents), 0) AS BIGINT)
            FROM auto_topup_attempts a JOIN purchases p ON p.id = a.id
            WHERE a.workspace_id = ? AND a.created_at >= ? AND (a.status = 'open' OR p.status = 'succeeded')
            """, [.int(dayStartMillis), .text(workspaceId), .int(monthStartMillis)])
    }

    static func spent(_ columns: inout some ColumnReader) throws -> AutoTopup.Spent {
        AutoTopup.Spent(chargesToday: Int(clamping: try columns.int()), centsThisMonth: try columns.int())
    }

    /// An attempt a call started, and the state it left (`AutoTopup.trigger`). A second open
    /// attempt of the workspace is ignored by the schema's one-open index: never an error
    /// that would fail the batch it rides in.
    static func open(_ start: AutoTopup.Start) -> [StoreStatement] {
        [StoreStatement("""
            INSERT INTO auto_topup_attempts (id, workspace_id, status, available_micros, tries, due_at, created_at, updated_at)
            VALUES (?, ?, 'open', ?, 0, ?, ?, ?) ON CONFLICT DO NOTHING
            """, [.text(start.attemptId), .text(start.workspaceId), .int(start.available.micros), .int(start.atMillis), .int(start.atMillis), .int(start.atMillis)]),
         StoreStatement("UPDATE workspaces SET auto_topup_state = 'pending', auto_topup_reason = NULL WHERE id = ?", [.text(start.workspaceId)])]
    }

    /// Open attempts whose time has come (new, or their lease or backoff over), soonest
    /// first, through the index of open attempts, with their workspaces: a claim locks the
    /// workspace before the attempt, in the order the calls' batches lock them.
    static func due(nowMillis: Int64, limit: Int) -> StoreStatement {
        StoreStatement("SELECT id, workspace_id FROM auto_topup_attempts WHERE status = 'open' AND due_at <= ? ORDER BY due_at LIMIT ?",
                       [.int(nowMillis), .int(Int64(limit))])
    }

    /// Takes an open attempt for `leaseMillis`: no other worker sends it meanwhile, and a
    /// worker that dies leaves it to the next once the lease is over.
    static func claim(id: String, nowMillis: Int64, leaseMillis: Int64) -> StoreStatement {
        StoreStatement("UPDATE auto_topup_attempts SET due_at = ?, tries = tries + 1 WHERE id = ? AND status = 'open' AND due_at <= ?",
                       [.int(nowMillis + leaseMillis), .text(id), .int(nowMillis)])
    }

    /// Sends the attempt again after `delayMillis` (Stripe unreachable or answering 5xx).
    static func retry(id: String, reason: String, nowMillis: Int64, delayMillis: Int64) -> StoreStatement {
        StoreStatement("UPDATE auto_topup_attempts SET due_at = ?, reason = ?, updated_at = ? WHERE id = ? AND status = 'open'",
                       [.int(nowMillis + delayMillis), .text(String(reason.prefix(500))), .int(nowMillis), .text(id)])
    }

    static func close(id: String, status: AutoTopupAttempt.Status, reason: String?, cappedBy: AutoTopup.Limit? = nil, nowMillis: Int64) -> StoreStatement {
        StoreStatement("UPDATE auto_topup_attempts SET status = ?, reason = ?, capped_by = COALESCE(?, capped_by), updated_at = ? WHERE id = ? AND status = 'open'",
                       [.text(status.rawValue), .text(reason.map { String($0.prefix(500)) }), .text(cappedBy?.rawValue), .int(nowMillis), .text(id)])
    }

    /// An attempt whose purchase was paid: succeeded, whatever it was (a failure the owner
    /// then finished on-session included).
    static func succeed(id: String, nowMillis: Int64) -> StoreStatement {
        StoreStatement("UPDATE auto_topup_attempts SET status = 'succeeded', reason = NULL, updated_at = ? WHERE id = ?", [.int(nowMillis), .text(id)])
    }

    static func sized(id: String, packages: Int64, cappedBy: AutoTopup.Limit?, nowMillis: Int64) -> StoreStatement {
        StoreStatement("UPDATE auto_topup_attempts SET packages = ?, capped_by = ?, updated_at = ? WHERE id = ?",
                       [.int(packages), .text(cappedBy?.rawValue), .int(nowMillis), .text(id)])
    }

    static func block(fingerprint: String?, workspaceId: String) -> StoreStatement {
        StoreStatement("UPDATE auto_topups SET blocked_fingerprint = ? WHERE workspace_id = ?", [.text(fingerprint), .text(workspaceId)])
    }
}
