// Live updates of the workspace page from its event stream. Amounts are taken from the
// JSON text as written and never parsed into floating point.
(function () {
  "use strict";
  var root = document.getElementById("workspace");
  if (!root || !window.EventSource) return;
  var id = root.getAttribute("data-workspace");
  var status = document.getElementById("live-status");

  // The decimal text of a top-level number field of a JSON object, exactly as sent.
  function field(json, name) {
    var match = new RegExp('"' + name + '":(-?[0-9]+(?:\\.[0-9]+)?)').exec(json);
    return match ? match[1] : null;
  }
  function stringField(json, name) {
    var match = new RegExp('"' + name + '":"((?:[^"\\\\]|\\\\.)*)"').exec(json);
    return match ? JSON.parse('"' + match[1] + '"') : null;
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
    ["remainingBalance", "remainingAllowance"].forEach(function (name) {
      var value = field(event.data, name);
      document.querySelectorAll('[data-live="' + name + '"]').forEach(function (element) {
        if (value !== null) element.textContent = grouped(value);
      });
    });
    var meter = document.getElementById("allowance-meter");
    var left = field(event.data, "remainingAllowance");
    if (meter && left !== null) {
      var used = Number(meter.getAttribute("data-allowance")) - Number(left); // a meter's position only
      meter.value = used > 0 ? used : 0;
    }
  });

  source.addEventListener("decision", function (event) {
    var body = document.querySelector("#decisions tbody");
    if (!body) return;
    var data = event.data;
    var row = document.createElement("tr");
    var created = stringField(data, "createdAt") || "";
    cell(row, created.slice(0, 16).replace("T", " "));
    cell(row, stringField(data, "actionType") || "");
    var success = /"success":true/.test(data);
    var outcome = document.createElement("span");
    outcome.className = success ? "ok" : "denied";
    outcome.textContent = success ? "approved" : "denied: " + (stringField(data, "reason") || "");
    cell(row, "").appendChild(outcome);
    cell(row, grouped(field(data, "actionsCharged") || "0"));
    cell(row, grouped(field(data, "debitAmount") || "0"));
    cell(row, ["userId", "agentId", "runId"].map(function (name) { return stringField(data, name) || "–"; }).join(" / "));
    body.insertBefore(row, body.firstChild);
    while (body.rows.length > 20) body.deleteRow(body.rows.length - 1);
  });

  ["credits.purchased", "credits.refunded", "allowance.threshold", "balance.low"].forEach(function (type) {
    source.addEventListener(type, function (event) {
      var notices = document.getElementById("notices");
      var note = document.createElement("p");
      note.className = "notice";
      var text = {
        "credits.purchased": "Credits purchased.",
        "credits.refunded": "A refund took credits back.",
        "allowance.threshold": "Allowance " + (field(event.data, "percent") || "") + " % used.",
        "balance.low": "Balance below " + grouped(field(event.data, "threshold") || "") + " credits."
      }[type];
      note.textContent = text;
      notices.insertBefore(note, notices.firstChild);
    });
  });
})();
