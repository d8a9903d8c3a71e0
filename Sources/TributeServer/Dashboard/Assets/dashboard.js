// Live updates of the workspace page from its event stream. Each message's data is read
// with JSON.parse, by its top-level fields only (a caller's `context` can say anything);
// amounts are shown as the literal text the server wrote, never parsed into floating point.
(function () {
  "use strict";
  // A page that answers a form names its own address: reloading it then opens that page
  // instead of sending the form again (a second key, a second endpoint).
  var settled = document.querySelector("[data-settled-url]");
  if (settled && window.history && history.replaceState) history.replaceState(null, "", settled.getAttribute("data-settled-url"));

  var root = document.getElementById("workspace");
  if (!root || !window.EventSource) return;
  var id = root.getAttribute("data-workspace");
  var status = document.getElementById("live-status");

  // The literal text of each member of the JSON object `text`, by name. Only for text that
  // JSON.parse accepted, so the walk may trust the grammar; it never looks inside a member
  // (a string or a nested object is skipped whole), and a repeated name keeps its last
  // value, as JSON.parse does.
  function members(text) {
    var out = Object.create(null);
    var i = 0, n = text.length;
    function space() { while (i < n && " \t\n\r".indexOf(text.charAt(i)) >= 0) i++; }
    function skipString() {
      i++;
      while (i < n && text.charAt(i) !== '"') i += text.charAt(i) === "\\" ? 2 : 1;
      i++;
    }
    function skipValue() {
      var c = text.charAt(i);
      if (c === '"') { skipString(); return; }
      if (c === "{" || c === "[") {
        var depth = 0;
        do {
          c = text.charAt(i);
          if (c === '"') { skipString(); continue; }
          if (c === "{" || c === "[") depth++;
          else if (c === "}" || c === "]") depth--;
          i++;
        } while (depth > 0 && i < n);
        return;
      }
      while (i < n && ",}] \t\n\r".indexOf(text.charAt(i)) < 0) i++; // a number, true, false or null
    }
    space();
    if (text.charAt(i) !== "{") return out;
    i++;
    space();
    while (i < n && text.charAt(i) === '"') {
      var nameStart = i;
      skipString();
      var name = JSON.parse(text.slice(nameStart, i));
      space();
      i++; // the colon
      space();
      var valueStart = i;
      skipValue();
      out[name] = text.slice(valueStart, i);
      space();
      if (text.charAt(i) === ",") { i++; space(); }
    }
    return out;
  }

  // A message's data as an object: its parsed value and its members' literal text; null
  // for anything but a JSON object.
  function parsed(text) {
    var value;
    try { value = JSON.parse(text); } catch (error) { return null; }
    if (!value || typeof value !== "object" || Array.isArray(value)) return null;
    return { value: value, text: members(text) };
  }
  function nested(object, name) {
    var value = object && object.value[name];
    return value && typeof value === "object" && !Array.isArray(value) ? parsed(object.text[name]) : null;
  }
  function string(object, name) {
    var value = object && object.value[name];
    return typeof value === "string" ? value : null;
  }
  // A top-level number as the decimal text the server wrote (12.000001 stays exact).
  function amount(object, name) {
    if (!object || typeof object.value[name] !== "number") return null;
    var text = object.text[name];
    return /^-?[0-9]+(\.[0-9]+)?$/.test(text) ? text : null;
  }
  // 12345.5 -> 12,345.5 on the text.
  function grouped(text) {
    var negative = text.charAt(0) === "-";
    if (negative) text = text.slice(1);
    var parts = text.split(".");
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (negative ? "-" : "") + parts.join(".");
  }
  function cell(row, text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  // From the position the page was rendered at; reconnections resume by Last-Event-ID.
  var source = new EventSource("/workspaces/" + encodeURIComponent(id) + "/live?after=" + encodeURIComponent(root.getAttribute("data-after")));
  source.onopen = function () { status.textContent = "Live"; status.className = "live on"; };
  source.onerror = function () { status.textContent = "Reconnecting…"; status.className = "live"; };

  source.addEventListener("balance", function (event) {
    var data = parsed(event.data);
    ["remainingBalance", "remainingAllowance", "heldAmount", "heldAllowance"].forEach(function (name) {
      var value = amount(data, name);
      document.querySelectorAll('[data-live="' + name + '"]').forEach(function (element) {
        if (value !== null) element.textContent = grouped(value);
      });
    });
    var meter = document.getElementById("allowance-meter");
    var left = amount(data, "remainingAllowance");
    if (meter && left !== null) {
      var used = Number(meter.getAttribute("data-allowance")) - Number(left); // a meter's position only
      meter.value = used > 0 ? used : 0;
    }
  });

  source.addEventListener("decision", function (event) {
    var body = document.querySelector("#decisions tbody");
    var data = parsed(event.data);
    if (!body || !data) return;
    var row = document.createElement("tr");
    var created = string(data, "createdAt") || "";
    var decisionId = string(data, "id");
    var when = cell(row, decisionId ? "" : created.slice(0, 16).replace("T", " "));
    if (decisionId) {
      // As WorkspacePage.decisionRow links it: the decision's explanation.
      var link = document.createElement("a");
      link.href = "/workspaces/" + encodeURIComponent(id) + "/decisions/" + encodeURIComponent(decisionId);
      link.textContent = created.slice(0, 16).replace("T", " ");
      when.appendChild(link);
    }
    cell(row, string(data, "actionType") || "");
    var success = data.value.success === true;
    var outcome = document.createElement("span");
    outcome.className = success ? "ok" : "denied";
    // As WorkspacePage.outcomeLabel words it: what an approved decision of each kind did.
    var labels = { hold: "held", commit: "committed", release: "released", expiry: "expired" };
    var kind = string(data, "kind");
    var done = kind && Object.prototype.hasOwnProperty.call(labels, kind) ? labels[kind] : "approved";
    outcome.textContent = success ? done : "denied: " + (string(data, "reason") || "");
    cell(row, "").appendChild(outcome);
    cell(row, grouped(amount(data, "actionsCharged") || "0"));
    cell(row, grouped(amount(data, "debitAmount") || "0"));
    cell(row, ["userId", "agentId", "runId"].map(function (name) { return string(data, name) || "–"; }).join(" / "));
    body.insertBefore(row, body.firstChild);
    while (body.rows.length > 20) body.deleteRow(body.rows.length - 1);
  });

  ["credits.purchased", "credits.refunded", "allowance.threshold", "balance.low", "hold.expired"].forEach(function (type) {
    source.addEventListener(type, function (event) {
      var notices = document.getElementById("notices");
      var data = nested(parsed(event.data), "data"); // an outbox event carries its fields in `data`
      var note = document.createElement("p");
      note.className = "notice";
      var text = {
        "credits.purchased": "Credits purchased.",
        "credits.refunded": "A refund took credits back.",
        "allowance.threshold": "Allowance " + (amount(data, "percent") || "") + " % used.",
        "balance.low": "Balance below " + grouped(amount(data, "threshold") || "") + " credits.",
        "hold.expired": "Hold " + (string(data, "holdId") || "") + " expired; what it held is available again."
      }[type];
      note.textContent = text;
      notices.insertBefore(note, notices.firstChild);
    });
  });
})();
