import TributeCore

/// Everything Tribute keeps, by capability: each of the protocols below is one part of
/// it, and a component that needs only one part names only that one. One implementation per
/// database implements them all; every implementation passes the same conformance suite.
///
/// Every mutation is one atomic, durable transaction: when it returns, it is on disk; when
/// it throws, nothing was written. Each throws `TributeError` for anything a caller did
/// wrong, and other errors only for faults of the database itself.
public protocol TributeStore: LedgerWriting, LedgerReading, Catalog, KeysAndSessions, Payments, EventLog, StoreOperations {}

/// Money moves: every call the kernel decides, and the audit of what it wrote.
public protocol LedgerWriting: Sendable {
    /// Prices, checks and debits one action, recording the decision (approved or denied).
    /// With a claim, a repeat of the same request replays the first answer byte for byte.
    /// - Throws: `workspaceNotFound`, `unknownActionType`, `invalidMultiplier` (cost out of
    ///   range), `idempotencyKeyReused`, `overloaded`.
    func authorize(_ request: AuthorizeRequest, idempotency: IdempotencyClaim?) async throws -> AuthorizeOutcome
    /// - Throws: `workspaceNotFound`, `invalidValue` (expiry in the past).
    func grantCredits(workspaceId: String, grant: CreditGrantDraft) async throws -> CreditGrantView
    /// The workspace's grants with their terms, newest first, after the grant `cursor`
    /// names. - Throws: `workspaceNotFound`.
    func grants(workspaceId: String, limit: Int, cursor: String?) async throws -> Page<CreditGrantView>
    /// Moves a grant in the draw order (SPEC §3.9). Charges made already keep the grants
    /// they drew from: a reversal gives back those.
    /// - Throws: `workspaceNotFound`, `grantNotFound`, `invalidValue` (outside 0–100).
    func setGrantPriority(workspaceId: String, grantId: String, priority: Int) async throws -> CreditGrantView
    /// Deletes up to `limit` idempotency keys answered before `createdBeforeMillis`, oldest
    /// first, and returns how many went. A key inside the window still replays.
    func expireIdempotencyKeys(createdBeforeMillis: Int64, limit: Int) async throws -> Int
    /// Appends the `SystemNetting` transaction when a system account has passed its
    /// threshold, and returns whether it did: shared lifetime counters never reach the
    /// bound while the workspaces' own balances are within it.
    func netSystemAccounts() async throws -> Bool
    /// Checks every rule of the ledger (SPEC §4) over the whole database, and that every
    /// named checkpoint is stored unaltered and its heads are still in their chains.
    /// - Parameter checkpoints: checkpoint digests kept outside the database.
    func verifyLedger(checkpoints: [String]) async throws -> LedgerReport
    /// Records every decision chain's head as a checkpoint (SPEC §4) and sends a
    /// `ledger.checkpoint` event to each workspace whose head moved since the last one;
    /// when no head moved, writes nothing and returns the last checkpoint.
    func recordCheckpoint() async throws -> LedgerCheckpoint
    /// Reverses a charge (`Kernel.reverse`): one appended transaction and a `REVERSED`
    /// decision in the workspace's chain, at most once per charge.
    /// - Throws: `transactionNotFound`, `alreadyReversed`, `notReversible`, `amountTooLarge`.
    func reverseTransaction(id: String, reason: String) async throws -> Reversal
    /// Prices and checks a hold exactly like `authorize` and moves the estimate into the
    /// workspace's hold accounts (`Kernel.hold`). The body is `HoldAnswer.created`; with a
    /// claim, a repeat replays it.
    /// - Throws: as `authorize`, and `invalidValue` for a time to live outside 1 s…24 h.
    func hold(_ request: HoldRequest, idempotency: IdempotencyClaim?) async throws -> AuthorizeOutcome
    /// Charges the actual cost of a hold (`Kernel.commitHold`); body `HoldAnswer.committed`.
    /// The claim's key belongs to the hold's workspace.
    /// - Parameter canAccess: whether the caller may touch a workspace; a hold of one it
    ///   may not is `holdNotFound`.
    /// - Throws: `holdNotFound`, `holdClosed`, `holdExpired`, `exceedsHold`, `invalidMultiplier`, `idempotencyKeyReused`.
    func commitHold(_ commit: HoldCommit, canAccess: @escaping @Sendable (String) -> Bool, idempotency: IdempotencyClaim?) async throws -> AuthorizeOutcome
    /// Gives back everything a hold still holds (`Kernel.releaseHold`); body `HoldAnswer.released`.
    /// - Throws: `holdNotFound`, `holdClosed`, `idempotencyKeyReused`.
    func releaseHold(id: String, canAccess: @escaping @Sendable (String) -> Bool, idempotency: IdempotencyClaim?) async throws -> AuthorizeOutcome
    /// Moves a hold's expiry `ttlSeconds` from now (`Kernel.extendHold`).
    /// - Throws: `holdNotFound`, `holdClosed`, `holdExpired`, `invalidValue`.
    func extendHold(id: String, ttlSeconds: Int64, canAccess: @escaping @Sendable (String) -> Bool) async throws -> HoldRecord
    /// The sweeper's step: releases, as expiries, the open holds whose time ran out, in up
    /// to `limit` workspaces (on PostgreSQL, workspaces another instance is sweeping are
    /// skipped). - Returns: how many holds expired.
    func expireHolds(limit: Int) async throws -> Int
    /// The sweeper's other step: closes the billing periods that have ended
    /// (`WorkspaceState.rollPeriod`: the allowance lapses or carries, the plan's is issued)
    /// and records the expiry of grants whose time ran out, in up to `limit` workspaces no
    /// call touched since, so that statements and revenue see them when they happen. A
    /// close is idempotent per workspace and period: a call, or another instance, that
    /// closed it first leaves nothing to do. - Returns: how many workspaces it settled.
    func closePeriods(limit: Int) async throws -> Int
}

/// Reads of the ledger and of what it holds, for the API, the dashboard and the metrics.
public protocol LedgerReading: Sendable {
    /// The statements of the workspace's closed periods (SPEC §3.9), oldest first: each is
    /// cut from the ledger's rows once, when first asked for (`StatementRows.graceMillis`
    /// after its period ends), and never changes. - Throws: `workspaceNotFound`.
    func statements(workspaceId: String) async throws -> [StoredStatement]
    /// One of them. - Throws: `workspaceNotFound`, `statementNotFound`.
    func statement(workspaceId: String, number: Int) async throws -> StoredStatement
    /// A statement of `[from, to)`, built now: its opening is the closing of the last cut
    /// statement before it and the rows between. - Throws: `workspaceNotFound`.
    func statement(workspaceId: String, fromMillis: Int64, toMillis: Int64) async throws -> CreditStatement
    /// The revenue report of `[from, to)` (SPEC §3.9): a line per workspace with a paid
    /// grant made before `to`, by workspace id. Reads every such workspace's charges up to
    /// `to`. - Throws: `invalidValue` for an empty range.
    func revenue(fromMillis: Int64, toMillis: Int64) async throws -> [RevenueLedger.Line]
    /// - Throws: `workspaceNotFound`.
    func workspace(id: String) async throws -> WorkspaceView
    /// Every workspace, oldest first, at most `limit`.
    func workspaces(limit: Int, cursor: String?) async throws -> Page<WorkspaceView>
    /// The workspace's budgets in the order of their scopes, at most `limit`, after the
    /// budget `cursor` names (the `nextCursor` of an earlier page; a budget deleted since
    /// still marks the place).
    /// - Throws: `workspaceNotFound`, `invalidValue` (bad cursor).
    func budgets(workspaceId: String, limit: Int, cursor: String?) async throws -> Page<BudgetView>
    /// Newest first. - Throws: `workspaceNotFound`, `invalidValue` (bad cursor).
    func transactions(workspaceId: String, limit: Int, cursor: String?) async throws -> Page<TransactionView>
    /// Newest first; `approved` filters by outcome. - Throws: `workspaceNotFound`, `invalidValue`.
    func decisions(workspaceId: String, limit: Int, cursor: String?, approved: Bool?) async throws -> Page<DecisionRecord>
    /// Usage from approved decisions in `[fromMillis, toMillis)`. - Throws: `workspaceNotFound`.
    func usage(workspaceId: String, fromMillis: Int64, toMillis: Int64) async throws -> UsageReport
    /// Consumption of each named workspace in the 7 days before `nowMillis` (zero for an
    /// unknown id): what the admin view shows for a page of workspaces.
    func velocities(workspaceIds: [String], nowMillis: Int64) async throws -> [String: Velocity]
    /// One decision with everything that explains it (SPEC §3.5).
    /// - Throws: `workspaceNotFound`, `decisionNotFound` (also for another workspace's).
    func decision(workspaceId: String, id: String) async throws -> DecisionExplanation
    /// One hold as stored (an open hold past its expiry shows as `expired`).
    /// - Throws: `holdNotFound` (also for a workspace the caller may not touch).
    func hold(id: String, canAccess: @escaping @Sendable (String) -> Bool) async throws -> HoldRecord
    /// The workspace's holds, newest first, of one status when given.
    /// - Throws: `workspaceNotFound`, `invalidValue` (bad cursor).
    func holds(workspaceId: String, status: HoldRecord.Status?, limit: Int, cursor: String?) async throws -> Page<HoldRecord>
    /// How many holds are open and not yet past their expiry at the store's clock: the
    /// `tribute_holds_open` gauge, read when `/metrics` is scraped, through the partial index
    /// on open holds.
    func openHoldCount() async throws -> Int
}

/// What an admin sets: workspaces, plans, action costs, budgets and credit packages.
public protocol Catalog: Sendable {
    /// - Throws: `planNotFound`, `alreadyExists`.
    func createWorkspace(_ draft: WorkspaceDraft) async throws -> WorkspaceView
    /// A plan change keeps what was used this period: the allowance left becomes the new
    /// plan's allowance minus the actions already taken from allowance this period.
    /// - Throws: `workspaceNotFound`, `planNotFound`.
    func updateWorkspace(id: String, patch: WorkspacePatch) async throws -> WorkspaceView
    func actionCosts() async throws -> [ActionCost]
    /// Creates the action type or adds a new version of its cost: a base cost per call, or
    /// token rates with `baseCost` as the part per call (SPEC §3.6).
    func setActionCost(actionType: String, baseCost: Amount, tokenRates: TokenRates?) async throws -> ActionCost
    /// Every version, newest first.
    /// - Throws: `unknownActionType`.
    func actionCostHistory(actionType: String) async throws -> [ActionCost]
    func plans() async throws -> [Plan]
    /// Creates or replaces a plan; workspaces on it see the change at once.
    func putPlan(_ plan: Plan) async throws -> Plan
    /// Creates or replaces a budget, keeping what it has used. A new scope is refused while
    /// the workspace has `maxBudgets` budgets, counted in the transaction that would insert
    /// it (under the workspace's lock), so budgets created at once never pass the cap; new
    /// terms for an existing budget are always accepted.
    /// - Throws: `workspaceNotFound`, `tooManyBudgets`.
    func putBudget(workspaceId: String, scope: BudgetScope, limit: Amount, unit: BudgetUnit, period: BudgetPeriod, maxBudgets: Int) async throws -> BudgetView
    /// - Throws: `workspaceNotFound`, `budgetNotFound`.
    func deleteBudget(workspaceId: String, scope: BudgetScope) async throws
    /// Every credit package, cheapest first, retired ones included.
    func creditPackages() async throws -> [CreditPackage]
    /// Creates or replaces a package; purchases made keep the terms they were made with.
    func putCreditPackage(_ package: CreditPackage) async throws -> CreditPackage
}

/// Who may call: API keys (stored hashed) and dashboard sessions.
public protocol KeysAndSessions: Sendable {
    /// Creates a key and returns its record and the secret, which is stored only hashed.
    /// `rateLimit` is the key's own; `nil` follows the server's default.
    /// - Throws: `workspaceNotFound` for a named workspace that does not exist,
    ///   `tooManyAPIKeys` when `maxKeys` live keys exist already (counted in the inserting
    ///   transaction, so keys created at once never pass it).
    func createAPIKey(role: Role, workspaceIds: [String], name: String?, rateLimit: RateLimit?, maxKeys: Int) async throws -> (APIKeyView, secret: String)
    func apiKeys() async throws -> [APIKeyView]
    /// Renames a key or changes its rate limit. Verified keys are forgotten, as on revoke,
    /// so that the change applies to the next call (on other instances within seconds).
    /// - Throws: `apiKeyNotFound` for an unknown or revoked key.
    func updateAPIKey(id: String, patch: APIKeyPatch) async throws -> APIKeyView
    /// - Throws: `apiKeyNotFound`.
    func revokeAPIKey(id: String) async throws
    /// The principal of a presented secret, or `nil` for an unknown or revoked key.
    func principal(secret: String) async throws -> Principal?
    /// Signs a live key in to the dashboard: makes a random secret for the browser's cookie
    /// and stores only its SHA-256, with the key and an expiry `DashboardSessionPolicy.lifetimeMillis`
    /// ahead. The key's oldest sessions beyond `DashboardSessionPolicy.maxPerKey` end, and up
    /// to `DashboardSessionPolicy.sweepLimit` expired sessions of any key are removed.
    /// - Returns: the secret, which the store never sees again.
    /// - Throws: `apiKeyNotFound` for an unknown or revoked key.
    func createDashboardSession(keyId: String) async throws -> String
    /// The principal of the key a dashboard session belongs to; `nil` when the secret names
    /// no session, the session expired, or its key was revoked (the key is read live, never
    /// from a cache, so revocation ends the session at once).
    func dashboardPrincipal(sessionSecret: String) async throws -> Principal?
    /// Ends the session the secret names (sign-out); an unknown secret changes nothing.
    func endDashboardSession(sessionSecret: String) async throws
    /// The key's sessions that have not expired, newest first: what is stored of them.
    func dashboardSessions(keyId: String) async throws -> [DashboardSessionRecord]
}

/// Purchases of credits and Stripe's payment events.
public protocol Payments: Sendable {
    /// Records a pending purchase of an active package, before Stripe hears of it.
    /// - Throws: `workspaceNotFound`, `packageNotFound` (unknown or retired).
    func createPurchase(workspaceId: String, packageId: String) async throws -> Purchase
    /// Records the PaymentIntent created for a pending purchase.
    /// - Throws: `purchaseNotFound`.
    func attachPaymentIntent(purchaseId: String, paymentIntentId: String) async throws -> Purchase
    /// Marks a pending purchase failed (its PaymentIntent could not be created).
    /// - Throws: `purchaseNotFound`.
    func failPurchase(purchaseId: String, reason: String) async throws -> Purchase
    /// - Throws: `purchaseNotFound` (also for a purchase of another workspace).
    func purchase(workspaceId: String, id: String) async throws -> Purchase
    /// Newest first. - Throws: `workspaceNotFound`, `invalidValue` (bad cursor).
    func purchases(workspaceId: String, limit: Int, cursor: String?) async throws -> Page<Purchase>
    /// Applies a verified payment event by `PaymentStep`, with its ledger transactions and
    /// outbox events, in one transaction. The purchase is found by the id in the
    /// PaymentIntent's metadata, else by the PaymentIntent's id.
    func applyPayment(_ event: PaymentEvent) async throws -> PaymentOutcome

    // Auto top-up (SPEC §3.8): the kernel's `AutoTopup` rules, applied by `AutoTopupSteps`.

    /// The settings, state, saved card and newest attempt. - Throws: `workspaceNotFound`.
    func autoTopup(workspaceId: String) async throws -> AutoTopupView
    /// The newest attempts, at most `limit`. - Throws: `workspaceNotFound`.
    func autoTopupAttempts(workspaceId: String, limit: Int) async throws -> [AutoTopupAttempt]
    /// Puts the settings; enabled while the available credits are at or below the
    /// threshold, an attempt starts in the same transaction.
    /// - Throws: `workspaceNotFound`, `packageNotFound` (unknown or retired).
    func putAutoTopup(workspaceId: String, settings: AutoTopupSettings) async throws -> AutoTopupView
    /// Records the workspace's Stripe Customer unless it has one, and returns the one it has
    /// (of two made at once, the first recorded wins). - Throws: `workspaceNotFound`.
    func setStripeCustomer(workspaceId: String, customerId: String) async throws -> String
    /// Saves a card for charges without the customer; a new fingerprint resumes a
    /// suspension. - Throws: `workspaceNotFound`.
    func saveCard(workspaceId: String, card: SavedCard, customerId: String?) async throws -> AutoTopupView
    /// The workspace whose Stripe Customer is `stripeCustomer`, if any.
    func workspaceId(stripeCustomer: String) async throws -> String?
    /// The payment worker's step: claims up to `limit` open attempts that are due, for
    /// `leaseMillis`, sizes each (`AutoTopup.size`: a pending purchase, or `limited`, or
    /// nothing needed) and returns the charges to send. Each attempt is claimed by one
    /// worker of any instance; one whose worker died is claimed again after the lease.
    func claimAutoTopups(limit: Int, leaseMillis: Int64) async throws -> [AutoTopupCharge]
    /// Records the PaymentIntent Stripe made for an attempt.
    func recordAutoTopupIntent(attemptId: String, paymentIntentId: String) async throws
    /// Sends an attempt again after `delayMillis` (Stripe unreachable or failing).
    func retryAutoTopup(attemptId: String, reason: String, delayMillis: Int64) async throws
    /// Fails an open attempt for good and suspends auto top-up (`AutoTopupSteps.failed`).
    func failAutoTopup(attemptId: String, reason: String, clientSecret: String?) async throws
}

/// The outbox: events, the live stream's reads, and webhook endpoints and deliveries.
public protocol EventLog: Sendable {
    /// The workspace's outbox events after `afterSeq`, oldest first, at most `limit`.
    /// - Throws: `workspaceNotFound`.
    func events(workspaceId: String, afterSeq: Int64, limit: Int) async throws -> [EventRecord]
    /// The newest outbox event and decision of the workspace: where a live stream starts.
    /// - Throws: `workspaceNotFound`.
    func streamPosition(workspaceId: String) async throws -> StreamPosition
    /// The workspace's decisions after `afterSeq`, oldest first, with their order numbers.
    /// - Throws: `workspaceNotFound`.
    func decisionsSince(workspaceId: String, afterSeq: Int64, limit: Int) async throws -> [(seq: Int64, decision: DecisionRecord)]
    /// How many outbox events and decisions of the workspace a stream at `position` has not
    /// sent up to `bound`, counting at most `limit` of each kind: what a resume would replay,
    /// found by index alone, without reading a row.
    /// - Throws: `workspaceNotFound`.
    func streamBacklog(workspaceId: String, after position: StreamPosition, upTo bound: StreamPosition, limit: Int) async throws -> Int
    /// Registers a URL for events (`eventTypes` empty: all). The secret that signs its
    /// deliveries is returned here and kept to sign; events written from now on are
    /// delivered to it.
    /// - Throws: `tooManyWebhookEndpoints` when `maxEndpoints` are live already (counted
    ///   in the inserting transaction, so endpoints registered at once never pass it).
    func createWebhookEndpoint(url: String, eventTypes: [EventType], description: String?, maxEndpoints: Int) async throws -> (WebhookEndpoint, secret: String)
    func webhookEndpoints() async throws -> [WebhookEndpoint]
    /// Stops deliveries to it; its pending ones are marked failed.
    /// - Throws: `webhookEndpointNotFound`.
    func deleteWebhookEndpoint(id: String) async throws
    /// The delivery log of an endpoint, newest first; a deleted endpoint's is gone with it.
    /// - Throws: `webhookEndpointNotFound`, `invalidValue` (bad cursor).
    func webhookDeliveries(endpointId: String, limit: Int, cursor: String?) async throws -> Page<WebhookDelivery>
    /// Claims up to `limit` deliveries that are due, counting the attempt and leasing them
    /// for `leaseMillis` so that no other worker sends them meanwhile. The earliest due go
    /// first, but no more from one endpoint than `perEndpoint` less what `inFlight` (by
    /// endpoint id) says the caller is still sending to it: one endpoint's backlog or stuck
    /// attempts never take every place.
    func claimDeliveries(limit: Int, perEndpoint: Int, inFlight: [String: Int], leaseMillis: Int64) async throws -> [DeliveryJob]
    /// Records how an attempt went: delivered, to be retried at `nextAttemptAtMillis`, or
    /// (with neither) failed for good.
    func recordDelivery(seq: Int64, delivered: Bool, statusCode: Int?, error: String?, nextAttemptAtMillis: Int64?) async throws
}

/// The store itself: its clock, its readiness, its batch metrics.
public protocol StoreOperations: Sendable {
    /// The store's clock, in Unix milliseconds.
    func nowMillis() -> Int64
    /// Whether the database answers.
    func isReady() async -> Bool
    /// Where the store's group-commit writer reports its batches; `nil` for a store that
    /// does not report them (yet).
    var batchMetrics: BatchMetrics? { get }
}

extension StoreOperations {
    public var batchMetrics: BatchMetrics? { nil }
}

extension TributeStore {
    /// Checks every rule of the ledger (SPEC §4) over the whole database.
    public func verifyLedger() async throws -> LedgerReport { try await verifyLedger(checkpoints: []) }

    /// Creates a key that follows the server's default rate limit, under the standard cap.
    /// - Throws: `workspaceNotFound` for a named workspace that does not exist, `tooManyAPIKeys`.
    public func createAPIKey(role: Role, workspaceIds: [String], name: String?) async throws -> (APIKeyView, secret: String) {
        try await createAPIKey(role: role, workspaceIds: workspaceIds, name: name, rateLimit: nil)
    }

    /// Creates a key under the standard cap (`CollectionLimits.standard`).
    public func createAPIKey(role: Role, workspaceIds: [String], name: String?, rateLimit: RateLimit?) async throws -> (APIKeyView, secret: String) {
        try await createAPIKey(role: role, workspaceIds: workspaceIds, name: name, rateLimit: rateLimit, maxKeys: CollectionLimits.standard.apiKeys)
    }

    /// Creates or replaces a budget under the standard cap (`CollectionLimits.standard`).
    public func putBudget(workspaceId: String, scope: BudgetScope, limit: Amount, unit: BudgetUnit, period: BudgetPeriod) async throws -> BudgetView {
        try await putBudget(workspaceId: workspaceId, scope: scope, limit: limit, unit: unit, period: period, maxBudgets: CollectionLimits.standard.budgetsPerWorkspace)
    }

    /// The workspace's first 500 budgets (one page of the largest size): for tests and tools
    /// that know the workspace has fewer. Lists that may be longer walk `budgets(workspaceId:limit:cursor:)`.
    public func budgets(workspaceId: String) async throws -> [BudgetView] {
        try await budgets(workspaceId: workspaceId, limit: 500, cursor: nil).items
    }

    /// Registers an endpoint under the standard cap (`CollectionLimits.standard`).
    public func createWebhookEndpoint(url: String, eventTypes: [EventType], description: String?) async throws -> (WebhookEndpoint, secret: String) {
        try await createWebhookEndpoint(url: url, eventTypes: eventTypes, description: description, maxEndpoints: CollectionLimits.standard.webhookEndpoints)
    }
}

extension Catalog {
    /// An action priced per call.
    public func setActionCost(actionType: String, baseCost: Amount) async throws -> ActionCost {
        try await setActionCost(actionType: actionType, baseCost: baseCost, tokenRates: nil)
    }
}
