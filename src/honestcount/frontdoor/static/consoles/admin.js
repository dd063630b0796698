/* /admin: issue accounts (the token is shown once), list accounts a page at a time (role,
   status, how the phone was proved; never a number) and act on one: approve another admin's
   account (never one's own: the service refuses), issue a token, revoke, disable; set an
   election's deadlines, embargo, minimum group size and minimum verification tier; verify
   the audit log and download the latest signed checkpoint. */
(function () {
  "use strict";
  var HC = window.HC, $ = HC.$, m = HC.m;
  var next = null;

  function text(id) { var v = $(id).value.trim(); return v || null; }
  function download(name, doc) {
    var a = $("download");
    if (a.href) { URL.revokeObjectURL(a.href); }
    a.href = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], { type: "application/json" }));
    a.download = name;
    a.hidden = false;
    $("audit-out").textContent = JSON.stringify(doc, null, 2);
  }
  function done(r, what) {
    if (r.status >= 300 || r.status === 0) { HC.refused(r); return false; }
    HC.alarm("");
    HC.say(m("done", { what: what }));
    return true;
  }
  function act(id, action, label) {
    HC.api("POST", "/admin/accounts/" + id + "/" + action, null, { "Idempotency-Key": HC.newKey() }).then(function (r) {
      if (!done(r, label + " #" + id)) { return; }
      if (r.body && r.body.token) { HC.say(m("created", { id: id, token: r.body.token })); }
      list(false);
    });
  }
  function button(a, action, label, style) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "small " + (style || "secondary");
    b.textContent = label;
    b.setAttribute("aria-label", label + " #" + a.account_id);
    b.dataset.action = action;
    b.addEventListener("click", function () { act(a.account_id, action, label); });
    return b;
  }
  function item(a) {
    var li = document.createElement("li");
    li.dataset.account = a.account_id;
    li.dataset.status = a.status;
    var where = [a.election_id, a.station_id, a.label].filter(Boolean).join(" · ") || "—";
    var line = document.createElement("span");
    line.textContent = m("account_line", { id: a.account_id, role: a.role, where: where,
      status: m("status_" + a.status), tier: m("tier_" + a.verification) });
    li.appendChild(line);
    var row = document.createElement("div");
    if (a.status === "pending") { row.appendChild(button(a, "approve", m("approve"), "plain")); }
    if (a.role !== "voter" && a.status !== "disabled") { row.appendChild(button(a, "token", m("new_token"))); }
    if (a.status !== "disabled") {
      row.appendChild(button(a, "revoke", m("revoke")));
      row.appendChild(button(a, "disable", m("disable"), "danger"));
    }
    li.appendChild(row);
    return li;
  }
  // The first page (again: after a change), or the next one.
  function list(more) {
    var q = ["limit=25"];
    if ($("list-role").value) { q.push("role=" + encodeURIComponent($("list-role").value)); }
    if ($("list-status").value) { q.push("status=" + $("list-status").value); }
    if (more && next !== null) { q.push("after=" + next); }
    return HC.api("GET", "/admin/accounts?" + q.join("&")).then(function (r) {
      if (r.status !== 200) { HC.refused(r); return; }
      var box = $("accounts-list");
      if (!more) { box.textContent = ""; }
      r.body.accounts.forEach(function (a) { box.appendChild(item(a)); });
      if (!box.children.length) {
        var none = document.createElement("li");
        none.textContent = m("no_accounts");
        box.appendChild(none);
      }
      next = r.body.next_after;
      $("do-more").hidden = next === null;
    });
  }
  HC.start = function (me) {
    if (me.election_id) { $("new-election").value = me.election_id; $("set-election").value = me.election_id; }
    $("do-create").addEventListener("click", function () {
      var body = { role: $("new-role").value, election_id: text("new-election"),
                   station_id: text("new-station"), label: text("new-label") };
      HC.api("POST", "/admin/accounts", body, { "Idempotency-Key": HC.newKey() }).then(function (r) {
        if (r.status !== 201) { HC.refused(r); return; }
        HC.alarm("");
        HC.say(m("created", { id: r.body.account_id, token: r.body.token }));
        list(false);
      });
    });
    $("do-list").addEventListener("click", function () { list(false); });
    $("do-more").addEventListener("click", function () { list(true); });
    $("do-settings").addEventListener("click", function () {
      var election = text("set-election");
      if (!election) { $("set-election").focus(); return; }
      var body = {};
      [["set-registration", "registration_deadline"], ["set-declaration", "declaration_deadline"],
       ["set-upload", "upload_deadline"]].forEach(function (p) { if ($(p[0]).value) { body[p[1]] = HC.when($(p[0])); } });
      if ($("set-embargo").value) { body.embargo = $("set-embargo").value === "true"; }
      if ($("set-min-group").value) { body.min_group_size = parseInt($("set-min-group").value, 10); }
      if ($("set-min-tier").value) { body.min_verification = $("set-min-tier").value; }
      HC.api("PUT", "/admin/elections/" + encodeURIComponent(election) + "/settings", body).then(function (r) {
        if (done(r, m("settings"))) { $("audit-out").textContent = JSON.stringify(r.body, null, 2); }
      });
    });
    $("do-audit").addEventListener("click", function () {
      HC.api("GET", "/admin/audit").then(function (r) {
        if (done(r, m("audit_verify"))) { download("audit-report.json", r.body); }
      });
    });
    $("do-checkpoint").addEventListener("click", function () {
      HC.api("GET", "/log/head").then(function (r) {
        if (done(r, m("checkpoint"))) { download("checkpoint.json", r.body); }
      });
    });
    list(false);
  };
})();
