"""Browser tests of the dashboard: Debian's chromium driven by Playwright, against a live
`tribute serve`. Sets up its own workspaces and keys through the API, then signs in as a
viewer and as an admin, checks what they see and may do, and saves screenshots of both
views at desktop and phone width.

Usage: dashboard_test.py --url http://127.0.0.1:PORT --admin-key KEY --screenshots DIR
"""

import argparse
import json
import os
import re
import sqlite3
import sys
import urllib.error
import urllib.request
from decimal import Decimal

from playwright.sync_api import expect, sync_playwright

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


class API:
    def __init__(self, url, key):
        self.url, self.key = url, key

    def call(self, method, path, body=None, key=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Authorization", "Bearer " + (key or self.key))
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text = response.read().decode()
                status = response.status
        except urllib.error.HTTPError as error:
            text, status = error.read().decode(), error.code
        # Decimal keeps amounts exact, as the API writes them.
        return status, (json.loads(text, parse_float=Decimal) if text else None)


def grouped(value):
    """An amount as the dashboard shows it: 12,345.5."""
    text = format(Decimal(value).normalize(), "f")
    whole, _, fraction = text.partition(".")
    whole = "{:,}".format(int(whole))
    return whole + ("." + fraction if fraction else "")


def set_up(api):
    status, _ = api.call("POST", "/v1/workspaces", {"id": "acme", "name": "Acme Robotics", "planId": "pro"})
    assert status == 201, status
    api.call("POST", "/v1/workspaces", {"id": "other", "name": "Other Co", "planId": "prepaid"})
    api.call("POST", "/v1/workspaces/acme/credit-grants", {"amount": 250, "note": "welcome"})
    api.call("PUT", "/v1/workspaces/acme/budgets/run:nightly", {"limit": 12, "unit": "actions", "period": "month"})
    calls = [("COMPLEX_LLM", "ann", None), ("SIMPLE_LLM", "ann", None), ("TOOL_USE", "bob", None),
             ("PROOF_VERIFICATION", "bob", None), ("SIMPLE_LLM", "cy", "nightly"), ("PROOF_VERIFICATION", "cy", "nightly"),
             ("PROOF_VERIFICATION", "cy", "nightly")]  # the last one exceeds the run's budget: a visible denial
    for action, user, run in calls:
        body = {"workspaceId": "acme", "actionType": action, "userId": user}
        if run:
            body["runId"] = run
        status, _ = api.call("POST", "/v1/agent-actions/authorize-and-debit", body)
        assert status == 200, status
    # A day of monitoring held up front: 48 actions of the allowance, shown as held.
    status, hold = api.call("POST", "/v1/holds", {"workspaceId": "acme", "actionType": "SENTINEL_MONITORING_HOUR", "costMultiplier": 24,
                                                  "ttlSeconds": 3600, "runId": "watch-1"})
    assert status == 200 and hold["success"] is True, hold
    status, created = api.call("POST", "/v1/api-keys", {"role": "viewer", "workspaceIds": ["acme"], "name": "acme viewer"})
    assert status == 201, status
    return created["key"], hold["holdId"]


def overflowing(page):
    """What runs past the viewport's right edge: nothing when the page does not scroll
    sideways and every table ends inside the card that holds it (scrolling within it);
    otherwise the elements that stick out, to say which."""
    return page.evaluate("""() => {
        const name = e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + e.className : "") + (e.name ? "[" + e.name + "]" : "");
        const wide = [...document.querySelectorAll("main *")].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .filter(e => !e.closest("table")).map(name);
        const tables = [...document.querySelectorAll("table")].filter(t => {
            const card = t.closest("section") || document.body;
            return t.getBoundingClientRect().right > card.getBoundingClientRect().right + 1;
        }).map(name);
        return document.documentElement.scrollWidth > window.innerWidth || tables.length ? wide.concat(tables).slice(0, 8) : [];
    }""")


def sign_in(browser, url, key, viewport):
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    page = context.new_page()
    page.goto(url + "/")
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    return context, page


def check(name, condition, detail=""):
    if not condition:
        raise AssertionError(name + (": " + detail if detail else ""))
    print("ok -", name)


def viewer_tests(browser, api, url, viewer_key, hold_id, shots):
    context, page = sign_in(browser, url, viewer_key, DESKTOP)
    expect(page).to_have_url(re.compile(r"/workspaces/acme$"))
    _, workspace = api.call("GET", "/v1/workspaces/acme")
    expect(page.locator('[data-live="remainingBalance"]')).to_have_text(grouped(workspace["remainingBalance"]))
    expect(page.locator('[data-live="remainingAllowance"]')).to_have_text(grouped(workspace["remainingAllowance"]))
    check("the viewer sees the balance and allowance the API reports", True)
    expect(page.locator('[data-live="heldAllowance"]')).to_have_text(grouped(workspace["heldAllowance"]))
    expect(page.locator('[data-live="heldAmount"]')).to_have_text(grouped(workspace["heldAmount"]))
    expect(page.locator("#holds tr", has_text=hold_id)).to_contain_text("SENTINEL_MONITORING_HOUR")
    check("the viewer sees what open holds hold, and the hold, with no release button",
          page.locator("#holds").get_by_role("button").count() == 0 and workspace["heldAllowance"] == Decimal(48))
    expect(page.locator("#decisions")).to_contain_text("denied: BUDGET_EXCEEDED")
    check("denials are visible with their reason", True)

    # A debit through the API shows up without a reload.
    expect(page.locator("#live-status")).to_have_text("Live")
    page.evaluate("window.__notReloaded = true")
    rows_before = page.locator("#decisions tbody tr").count()
    status, answer = api.call("POST", "/v1/agent-actions/authorize-and-debit",
                              {"workspaceId": "acme", "actionType": "COMPLEX_LLM", "userId": "dana"})
    assert status == 200, status
    expect(page.locator('[data-live="remainingAllowance"]')).to_have_text(grouped(answer["remainingAllowance"]))
    expect(page.locator("#decisions tbody tr").first).to_contain_text("dana")
    check("a debit through the API updates the page live", page.evaluate("window.__notReloaded === true")
          and page.locator("#decisions tbody tr").count() == rows_before + 1)

    # The live row reads the decision's own fields: a caller's context that claims success
    # (and a debit) does not turn a denial into an approval.
    status, denied = api.call("POST", "/v1/agent-actions/authorize-and-debit",
                              {"workspaceId": "acme", "actionType": "PROOF_VERIFICATION", "userId": "eve", "runId": "nightly",
                               "context": {"success": True, "debitAmount": 999, "reason": "APPROVED", "note": "\"success\":true"}})
    assert status == 200 and denied["success"] is False and denied["reason"] == "BUDGET_EXCEEDED", denied
    first = page.locator("#decisions tbody tr").first
    expect(first).to_contain_text("eve")
    expect(first).to_contain_text("denied: BUDGET_EXCEEDED")
    check("a denial whose context says \"success\":true shows as denied in the live row",
          first.locator(".denied").count() == 1 and first.locator(".ok").count() == 0 and "999" not in first.inner_text())

    # A new hold shows live: the held allowance grows and its decision reads "held".
    status, held = api.call("POST", "/v1/holds", {"workspaceId": "acme", "actionType": "SIMPLE_LLM", "costMultiplier": 2, "userId": "fay"})
    assert status == 200 and held["success"] is True, held
    _, workspace = api.call("GET", "/v1/workspaces/acme")
    expect(page.locator('[data-live="heldAllowance"]')).to_have_text(grouped(workspace["heldAllowance"]))
    expect(page.locator('[data-live="remainingAllowance"]')).to_have_text(grouped(workspace["remainingAllowance"]))
    first = page.locator("#decisions tbody tr").first
    expect(first).to_contain_text("fay")
    expect(first).to_contain_text("held")
    status, _ = api.call("POST", "/v1/holds/" + held["holdId"] + "/commit", {"actualActions": 1.5})
    assert status == 200, status
    expect(page.locator("#decisions tbody tr").first).to_contain_text("committed")
    expect(page.locator('[data-live="heldAllowance"]')).to_have_text("48")
    check("a hold and its commit through the API update the page live", page.evaluate("window.__notReloaded === true"))

    # The browser holds a session, not the key.
    cookies = {cookie["name"]: cookie for cookie in context.cookies()}
    session = cookies.get("tribute_session")
    check("the cookie is an HttpOnly, SameSite=Strict session that is not the key",
          session is not None and viewer_key not in session["value"] and session["httpOnly"] and session["sameSite"] == "Strict"
          and "tribute_key" not in cookies, str(cookies.keys()))

    # CSV export.
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    with open(download.value.path()) as csv:
        lines = csv.read().splitlines()
    check("the CSV export has the daily usage", lines[0] == "date,actions,credits" and len(lines) == 31, lines[0])

    page.screenshot(path=os.path.join(shots, "workspace-desktop.png"), full_page=True)

    # A viewer key opens neither another workspace nor the admin view.
    response = page.goto(url + "/workspaces/other")
    check("a viewer cannot open another workspace", response.status == 403, str(response.status))
    response = page.goto(url + "/admin")
    check("a viewer cannot open the admin view", response.status == 403, str(response.status))

    # Signing out ends the session on the server: the old cookie, sent again, opens nothing.
    page.goto(url + "/workspaces/acme")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    reused = context.request.get(url + "/workspaces/acme/usage.csv", headers={"Cookie": "tribute_session=" + session["value"]})
    check("after sign-out the old session cookie is refused", reused.status == 401, str(reused.status))
    context.close()

    phone, page = sign_in(browser, url, viewer_key, PHONE)
    expect(page.locator("#live-status")).to_have_text("Live")
    check("at phone width the workspace page's tables stay on the screen", not overflowing(page), str(overflowing(page)))
    page.screenshot(path=os.path.join(shots, "workspace-phone.png"), full_page=True)
    phone.close()


def admin_tests(browser, api, url, admin_key, hold_id, shots):
    context, page = sign_in(browser, url, admin_key, DESKTOP)
    expect(page).to_have_url(re.compile(r"/admin$"))
    expect(page.locator("#workspaces")).to_contain_text("Acme Robotics")
    expect(page.locator("#workspaces")).to_contain_text("Other Co")
    # Every one of Acme's actions is from its first hour: all of its history, not a spike
    # (only a workspace with 48 hours of history can be flagged; the rule's cases are in
    # DashboardTests.velocityFlagsOnlyWorkspacesWithHistory).
    expect(page.locator("#workspaces tr", has_text="Acme Robotics")).not_to_contain_text("spike")
    expect(page.locator("#workspaces tr", has_text="Other Co")).not_to_contain_text("spike")
    check("the admin sees every workspace, and a new busy one is not flagged as a spike", True)

    field = page.get_by_label("Base cost of SIMPLE_LLM")
    field.fill("1.25")
    page.locator("#action-costs tr", has=field).get_by_role("button", name="Save").click()
    expect(page.locator(".notice")).to_contain_text("SIMPLE_LLM costs 1.25 (version 2)")
    _, costs = api.call("GET", "/v1/action-costs")
    simple = next(cost for cost in costs if cost["actionType"] == "SIMPLE_LLM")
    check("an edited action cost is what the API serves", simple["baseCost"] == Decimal("1.25") and simple["version"] == 2, str(simple))

    page.get_by_role("link", name="SIMPLE_LLM").click()
    expect(page.locator("table")).to_contain_text("1.25")
    check("the cost history lists both versions", page.locator("tbody tr").count() == 2)

    # The admin releases the monitoring hold from the workspace page.
    page.goto(url + "/workspaces/acme")
    expect(page.locator('[data-live="heldAllowance"]')).to_have_text("48")
    page.get_by_role("button", name="Release " + hold_id).click()
    expect(page.locator(".notice").first).to_contain_text("Hold " + hold_id + " released")
    expect(page.locator("#holds")).to_contain_text("No open holds.")
    expect(page.locator('[data-live="heldAllowance"]')).to_have_text("0")
    _, hold = api.call("GET", "/v1/holds/" + hold_id)
    check("an admin releases a hold from the workspace page", hold["status"] == "released" and hold["heldActions"] == 0, str(hold))
    context.close()

    phone, page = sign_in(browser, url, admin_key, PHONE)
    check("at phone width the admin page's tables and forms stay on the screen", not overflowing(page), str(overflowing(page)))
    page.screenshot(path=os.path.join(shots, "admin-phone.png"), full_page=True)
    phone.close()


def console_tests(browser, api, url, admin_key, shots):
    """The admin console: every support flow done in the browser, each checked through the
    API afterwards."""
    context, page = sign_in(browser, url, admin_key, DESKTOP)
    expect(page).to_have_url(re.compile(r"/admin$"))

    # Create a workspace: the form opens it.
    form = page.locator("#new-workspace")
    form.get_by_label("Name", exact=True).fill("Gamma Labs")
    form.get_by_label("Id", exact=True).fill("gamma")
    form.get_by_label("Plan").select_option("pro")
    form.get_by_role("button", name="Create workspace").click()
    expect(page).to_have_url(re.compile(r"/workspaces/gamma$"))
    expect(page.locator("h1")).to_contain_text("Gamma Labs")
    status, gamma = api.call("GET", "/v1/workspaces/gamma")
    check("an admin creates a workspace", status == 200 and gamma["planId"] == "pro" and gamma["name"] == "Gamma Labs", str(gamma))

    # Change its plan and name.
    settings = page.locator("#settings")
    settings.get_by_label("Name").fill("Gamma")
    settings.get_by_label("Plan").select_option("prepaid")
    settings.get_by_role("button", name="Save workspace").click()
    expect(page.locator(".notice").first).to_contain_text("Saved: Gamma is on plan prepaid")
    _, gamma = api.call("GET", "/v1/workspaces/gamma")
    check("an admin changes a workspace's plan and name", gamma["planId"] == "prepaid" and gamma["name"] == "Gamma", str(gamma))

    # Grant credits with an expiry and a note.
    grant = page.locator("#grant")
    grant.get_by_label("Credits").fill("75")
    grant.get_by_label("Expires on (UTC)").fill("2099-12-31")
    grant.get_by_label("Note").fill("support goodwill")
    grant.get_by_role("button", name="Grant credits").click()
    expect(page.locator(".notice").first).to_contain_text("Granted 75 credits")
    expect(page.locator(".notice").first).to_contain_text("expiring 2099-12-31 00:00 UTC")
    expect(page.locator('[data-live="remainingBalance"]')).to_have_text("75")
    page.reload()  # the answer was a redirect: a reload shows the page, and grants nothing
    expect(page.locator(".notice")).to_have_count(0)
    _, gamma = api.call("GET", "/v1/workspaces/gamma")
    check("an admin grants credits with an expiry and a note, once however often the page is reloaded",
          gamma["remainingBalance"] == Decimal(75), str(gamma))
    row = page.locator("#grants tbody tr", has_text="support goodwill")
    expect(row).to_contain_text("promotional")
    expect(row.locator("time")).to_contain_text(re.compile(r"^in \d+ days$"))
    check("the grant is listed with its category, priority and its expiry in words", "50" in row.inner_text(), row.inner_text())

    # Suspend, see calls denied, reactivate.
    page.get_by_role("button", name="Suspend").click()
    expect(page.locator(".notice").first).to_contain_text("suspended")
    _, denied = api.call("POST", "/v1/agent-actions/authorize-and-debit", {"workspaceId": "gamma", "actionType": "SIMPLE_LLM"})
    _, gamma = api.call("GET", "/v1/workspaces/gamma")
    check("an admin suspends a workspace and its calls are denied",
          gamma["status"] == "suspended" and denied["reason"] == "WORKSPACE_SUSPENDED", str(denied))
    page.get_by_role("button", name="Reactivate").click()
    expect(page.locator(".notice").first).to_contain_text("active again")
    _, gamma = api.call("GET", "/v1/workspaces/gamma")
    check("an admin reactivates it", gamma["status"] == "active", str(gamma))

    # Budgets: add, edit in place, delete.
    budget = page.locator("#new-budget")
    budget.get_by_label("Scope").select_option("run")
    budget.get_by_label("Id", exact=True).fill("nightly")
    budget.get_by_label("Limit").fill("3")
    budget.get_by_label("Unit").select_option("actions")
    budget.get_by_role("button", name="Add budget").click()
    expect(page.locator("#budgets")).to_contain_text("run:nightly")
    page.screenshot(path=os.path.join(shots, "workspace-admin-desktop.png"), full_page=True)
    page.get_by_label("Limit of run:nightly").fill("4.5")
    page.get_by_label("Period of run:nightly").select_option("lifetime")
    page.get_by_role("button", name="Save run:nightly").click()
    expect(page.locator(".notice").first).to_contain_text("Budget run:nightly: 4.5 actions in all")
    _, budgets = api.call("GET", "/v1/workspaces/gamma/budgets")
    check("an admin creates and edits a budget", len(budgets) == 1 and budgets[0]["limit"] == Decimal("4.5")
          and budgets[0]["period"] == "lifetime" and budgets[0]["unit"] == "actions", str(budgets))
    page.get_by_role("button", name="Delete run:nightly").click()
    expect(page.locator(".notice").first).to_contain_text("Budget run:nightly deleted")
    _, budgets = api.call("GET", "/v1/workspaces/gamma/budgets")
    check("an admin deletes a budget", budgets == [], str(budgets))
    # The whole workspace, by the UTC day: shown with the time it resets.
    budget.get_by_label("Scope").select_option("workspace")
    budget.get_by_label("Limit").fill("100")
    budget.get_by_label("Period").select_option("day")
    budget.get_by_role("button", name="Add budget").click()
    expect(page.locator(".notice").first).to_contain_text("Budget workspace: 100 actions a day (UTC)")
    _, budgets = api.call("GET", "/v1/workspaces/gamma/budgets")
    row = page.locator("#budgets tr", has_text="workspace")
    check("an admin caps the workspace by the day, shown with its reset", len(budgets) == 1 and budgets[0]["scope"] == "workspace"
          and budgets[0]["resetsAt"].endswith("T00:00:00.000Z") and budgets[0]["resetsAt"][:10] in row.inner_text(), str(budgets))
    page.get_by_role("button", name="Delete workspace").click()
    expect(page.locator(".notice").first).to_contain_text("Budget workspace deleted")

    # Auto top-up: set in the form; without a saved card it waits for one; then off.
    topup = page.locator("#auto-topup-form")
    topup.get_by_label("Package").select_option("starter")
    topup.get_by_label("When credits fall to").fill("20")
    topup.get_by_label("Charges a day at most").fill("3")
    topup.get_by_label("Cents a month at most").fill("5000")
    topup.get_by_role("button", name="Save auto top-up").click()
    expect(page.locator(".notice").first).to_contain_text("Auto top-up no payment method")
    expect(page.locator("#auto-topup-state")).to_contain_text("no payment method")
    expect(page.locator("#auto-topup")).to_contain_text("payment-method/setup")
    _, auto = api.call("GET", "/v1/workspaces/gamma/auto-topup")
    check("an admin sets auto top-up, which waits for a card", auto["state"] == "no_payment_method" and auto["threshold"] == Decimal(20)
          and auto["packageId"] == "starter" and auto["maxChargesPerDay"] == 3 and auto["maxCentsPerMonth"] == 5000 and auto["mode"] == "threshold",
          str(auto))
    topup.get_by_label("Auto top-up").select_option("off")
    topup.get_by_role("button", name="Save auto top-up").click()
    expect(page.locator("#auto-topup-state")).to_contain_text("off")
    _, auto = api.call("GET", "/v1/workspaces/gamma/auto-topup")
    check("an admin turns auto top-up off, its settings kept", auto["state"] == "off" and auto["enabled"] is False
          and auto["threshold"] == Decimal(20), str(auto))

    # A charge: open its explanation from the decisions table, and reverse it with a reason.
    status, charge = api.call("POST", "/v1/agent-actions/authorize-and-debit", {"workspaceId": "gamma", "actionType": "COMPLEX_LLM", "userId": "gus"})
    assert status == 200 and charge["success"] is True and charge["debitAmount"] > 0, charge
    page.reload()
    page.locator("#decisions tbody tr", has_text="gus").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/workspaces/gamma/decisions/" + charge["decisionId"] + "$"))
    expect(page.locator("#decision")).to_contain_text("from grant")
    expect(page.locator("#postings")).to_contain_text("workspace:gamma:wallet")
    check("a decision's explanation shows what it drew from and its postings", True)
    page.screenshot(path=os.path.join(shots, "decision-desktop.png"), full_page=True)
    page.locator("#reverse").get_by_label("Reason").fill("charged for a failed call")
    page.get_by_role("button", name="Reverse this charge").click()
    expect(page.locator(".notice")).to_contain_text("Reversed: transaction")
    _, gamma = api.call("GET", "/v1/workspaces/gamma")
    check("an admin reverses a charge with a reason", gamma["remainingBalance"] == Decimal(75), str(gamma))

    # Webhook endpoints: register one (its secret shown once), read its delivery log, delete it.
    page.goto(url + "/admin")
    hook = page.locator("#new-webhook")
    hook.get_by_label("URL").fill("https://hooks.example.com/tribute")
    hook.get_by_label("Description").fill("ops alerts")
    hook.get_by_label("balance.low").check()
    hook.get_by_role("button", name="Register endpoint").click()
    expect(page.locator(".notice")).to_contain_text("signing secret is whsec_")
    expect(page).to_have_url(re.compile(r"/admin$"))
    page.reload()  # opens the admin page: the form is not sent again
    expect(page.locator(".notice")).to_have_count(0)
    _, endpoints = api.call("GET", "/v1/webhook-endpoints")
    endpoint = next(e for e in endpoints if e["url"] == "https://hooks.example.com/tribute")
    check("an admin registers a webhook endpoint, once however often the answer is reloaded",
          endpoint["eventTypes"] == ["balance.low"] and len(endpoints) == 1, str(endpoints))
    # The wallet holds 75 again: the next charge takes it below a threshold of 75.
    api.call("PATCH", "/v1/workspaces/gamma", {"lowBalanceThreshold": 75})
    status, _ = api.call("POST", "/v1/agent-actions/authorize-and-debit", {"workspaceId": "gamma", "actionType": "SIMPLE_LLM"})
    assert status == 200, status
    page.reload()
    page.locator("#webhooks").get_by_role("link", name=endpoint["id"]).click()
    expect(page.locator("#deliveries")).to_contain_text("balance.low")
    check("the endpoint's delivery log lists the event sent to it", True)
    page.goto(url + "/admin")
    page.get_by_role("button", name="Delete " + endpoint["id"]).click()
    expect(page.locator(".notice")).to_contain_text("deleted")
    expect(page.locator("#webhooks")).to_contain_text("No endpoints.")
    _, endpoints = api.call("GET", "/v1/webhook-endpoints")
    check("an admin deletes a webhook endpoint", endpoints == [], str(endpoints))

    # A key with a rate limit, then its revocation.
    keys = page.locator("form[action='/admin/keys']")
    keys.get_by_label("Role").select_option("service")
    keys.get_by_label("Workspaces").fill("gamma")
    keys.get_by_label("Name").fill("gamma agent")
    keys.get_by_label("Calls/s").fill("5")
    keys.get_by_label("Burst").fill("10")
    keys.get_by_role("button", name="Create key").click()
    expect(page.locator(".notice")).to_contain_text("created: trb_")
    row = page.locator("#keys tr", has_text="gamma agent")
    expect(row).to_contain_text("5/s, burst 10")
    _, listed = api.call("GET", "/v1/api-keys")
    created = next(k for k in listed if k["name"] == "gamma agent")
    check("an admin creates a key with a rate limit", created["rateLimit"] == {"perSecond": 5, "burst": 10} and created["workspaceIds"] == ["gamma"], str(created))
    # Frozen from the key list, refused at once, then thawed.
    row.get_by_role("button", name="Freeze").click()
    expect(page.locator(".notice")).to_contain_text("frozen")
    row = page.locator("#keys tr", has_text="gamma agent")
    expect(row).to_contain_text("frozen")
    _, listed = api.call("GET", "/v1/api-keys")
    check("an admin freezes a key from the key list", next(k for k in listed if k["name"] == "gamma agent")["status"] == "frozen", str(listed))
    row.get_by_role("button", name="Thaw").click()
    expect(page.locator(".notice")).to_contain_text("thawed")
    _, listed = api.call("GET", "/v1/api-keys")
    check("an admin thaws it again", next(k for k in listed if k["name"] == "gamma agent")["status"] == "active", str(listed))
    row = page.locator("#keys tr", has_text="gamma agent")
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator(".notice")).to_contain_text("revoked")
    page.screenshot(path=os.path.join(shots, "admin-desktop.png"), full_page=True)
    context.close()

    phone, page = sign_in(browser, url, admin_key, PHONE)
    page.goto(url + "/workspaces/gamma")
    check("at phone width an admin's workspace page, forms included, stays on the screen", not overflowing(page), str(overflowing(page)))
    page.goto(url + "/workspaces/gamma/decisions/" + charge["decisionId"])
    check("at phone width a decision's explanation stays on the screen", not overflowing(page), str(overflowing(page)))
    phone.close()


def statement_tests(browser, api, url, database_file, shots):
    """A workspace whose first periods have closed: its statements are listed on its page
    and each opens as a printable page whose figures and digest are the API's."""
    status, _ = api.call("POST", "/v1/workspaces", {"id": "ledgerly", "name": "Ledgerly", "planId": "prepaid"})
    check("a workspace for statements is made", status == 201, str(status))
    api.call("POST", "/v1/workspaces/ledgerly/credit-grants", {"amount": 100, "note": "launch credit"})
    api.call("POST", "/v1/workspaces/ledgerly/credit-grants", {"amount": 40, "category": "paid", "costBasisCents": 400, "priority": 20})
    for _ in range(5):
        api.call("POST", "/v1/agent-actions/authorize-and-debit", {"workspaceId": "ledgerly", "actionType": "COMPLEX_LLM", "agentId": "researcher"})
    # The workspace and its grants as if made 70 days ago (a closed period's rows, on the
    # server's own database: nothing the hash chain covers moves).
    shift = 70 * 86_400_000
    with sqlite3.connect(database_file, timeout=10) as db:
        db.execute("UPDATE workspaces SET created_at = created_at - ? WHERE id = 'ledgerly'", (shift,))
        db.execute("UPDATE credit_grants SET created_at = created_at - ? WHERE workspace_id = 'ledgerly'", (shift,))
    status, listed = api.call("GET", "/v1/workspaces/ledgerly/statements")
    check("the closed periods' statements are listed", status == 200 and len(listed["items"]) >= 1, str(listed))
    first = listed["items"][0]
    check("the first statement holds the grants made in its period", first["closingCredits"] == Decimal("140"), str(first))

    context, page = sign_in(browser, url, api.key, DESKTOP)
    page.goto(url + "/workspaces/ledgerly")
    row = page.locator("#statements tbody tr", has_text="Statement 1")
    expect(row).to_contain_text("140")
    row.get_by_role("link", name="Statement 1").click()
    expect(page).to_have_url(re.compile(r"/workspaces/ledgerly/statements/1$"))
    expect(page.locator("h1")).to_contain_text("Statement 1")
    expect(page.locator("#statement-digest")).to_have_text(first["digest"])
    expect(page.locator("#statement-balances")).to_contain_text("140")
    check("a statement opens as its printable page with the API's digest", True)
    page.screenshot(path=os.path.join(shots, "statement-desktop.png"), full_page=True)
    page.emulate_media(media="print")
    check("printed, the statement drops the page's header", not page.locator("header").is_visible())
    context.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--admin-key", required=True)
    parser.add_argument("--screenshots", required=True)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--database-file", required=True)
    args = parser.parse_args()
    os.makedirs(args.screenshots, exist_ok=True)
    api = API(args.url, args.admin_key)
    viewer_key, hold_id = set_up(api)
    with sync_playwright() as playwright:
        # The distribution's browser, not a downloaded one; no sandbox when run as root (CI).
        browser = playwright.chromium.launch(executable_path=args.chromium, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
        try:
            viewer_tests(browser, api, args.url, viewer_key, hold_id, args.screenshots)
            admin_tests(browser, api, args.url, args.admin_key, hold_id, args.screenshots)
            console_tests(browser, api, args.url, args.admin_key, args.screenshots)
            statement_tests(browser, api, args.url, args.database_file, args.screenshots)
        finally:
            browser.close()
    print("dashboard browser tests: all passed")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as error:
        print("FAILED -", error, file=sys.stderr)
        sys.exit(1)
