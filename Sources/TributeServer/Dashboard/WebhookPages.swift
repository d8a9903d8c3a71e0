import TributeCore

/// The admin page's webhook section: every endpoint, with its log and a delete button, and
/// the form that registers a new one.
struct WebhookSection {
    var endpoints: [WebhookEndpoint]
    var deliverable: [EventType]

    func render() -> String {
        let e = HTML.escape
        var html = """
            <section><h2>Webhook endpoints</h2>
            <table id="webhooks"><thead><tr><th scope="col">Endpoint</th><th scope="col">URL</th><th scope="col">Events</th>
            <th scope="col">Description</th><th scope="col">Created (UTC)</th><th scope="col"><span class="visually-hidden">Delete</span></th></tr></thead><tbody>
            """
        for endpoint in endpoints {
            let events = endpoint.eventTypes.isEmpty ? "all" : endpoint.eventTypes.map { e($0.rawValue) }.joined(separator: ", ")
            html += """
                <tr><td><a href="/admin/webhook-endpoints/\(e(endpoint.id))">\(e(endpoint.id))</a></td><td><code>\(e(endpoint.url))</code></td><td>\(events)</td>
                <td>\(e(endpoint.description ?? ""))</td><td>\(HTML.time(endpoint.createdAtMillis))</td>
                <td><form method="post" action="/admin/webhook-endpoints/\(e(endpoint.id))/delete" class="inline">
                <button type="submit" class="danger" aria-label="Delete \(e(endpoint.id))">Delete</button></form></td></tr>
                """
        }
        if endpoints.isEmpty { html += #"<tr><td colspan="6" class="empty">No endpoints.</td></tr>"# }
        html += """
            </tbody></table>
            <form method="post" action="/admin/webhook-endpoints" class="stacked" id="new-webhook"><fieldset><legend>New endpoint</legend>
            <label>URL <input name="url" type="url" required size="32" placeholder="https://example.com/tribute"></label>
            <label>Description <input name="description" size="20"></label>
            <fieldset class="choices"><legend>Events (none ticked: all)</legend>
            """
        for type in deliverable {
            html += #"<label><input type="checkbox" name="eventTypes" value="\#(e(type.rawValue))"> \#(e(type.rawValue))</label>"#
        }
        return html + """
            </fieldset><button type="submit">Register endpoint</button></fieldset></form>
            <p class="hint">Each delivery is signed with the endpoint's secret (<code>Tribute-Signature</code>), retried with backoff when it fails, and logged.</p>
            </section>
            """
    }
}

/// One endpoint's delivery log, newest first.
struct DeliveryLogPage {
    var endpoint: WebhookEndpoint
    var deliveries: Page<WebhookDelivery>

    func render(principal: Principal) -> String {
        let e = HTML.escape
        var body = """
            <h1>Deliveries <small>\(e(endpoint.id))</small></h1><p><a href="/admin">← Admin</a></p>
            <p><code>\(e(endpoint.url))</code>\(endpoint.description.map { " · \(e($0))" } ?? "")</p>
            <table id="deliveries"><thead><tr><th scope="col">Time (UTC)</th><th scope="col">Event</th><th scope="col">Status</th>
            <th scope="col">Attempts</th><th scope="col">Last answer</th><th scope="col">Next attempt (UTC)</th></tr></thead><tbody>
            """
        for delivery in deliveries.items {
            let status = delivery.status == .failed ? #"<span class="denied">failed</span>"# : delivery.status == .delivered ? #"<span class="ok">delivered</span>"# : "pending"
            let answer = [delivery.lastStatusCode.map { "HTTP \($0)" }, delivery.lastError].compactMap { $0 }.map(e).joined(separator: ": ")
            body += """
                <tr><td>\(HTML.time(delivery.createdAtMillis))</td><td>\(e(delivery.eventType)) <small>\(e(delivery.eventId))</small></td><td>\(status)</td>
                <td>\(delivery.attempts)</td><td>\(answer.isEmpty ? "–" : answer)</td><td>\(delivery.nextAttemptAtMillis.map(HTML.time) ?? "–")</td></tr>
                """
        }
        if deliveries.items.isEmpty { body += #"<tr><td colspan="6" class="empty">Nothing delivered yet.</td></tr>"# }
        body += "</tbody></table>"
        if let next = deliveries.nextCursor {
            body += #"<p><a href="/admin/webhook-endpoints/\#(e(endpoint.id))?cursor=\#(e(next))">Older deliveries →</a></p>"#
        }
        return HTML.page(title: "Deliveries of \(endpoint.id)", principal: principal, body: body)
    }
}
