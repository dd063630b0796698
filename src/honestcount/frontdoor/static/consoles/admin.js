/* /admin: issue accounts (the token is shown once), approve another admin's account (never
   one's own: the service refuses), revoke or disable, set an election's deadlines, embargo
   and minimum group size, verify the audit log and download the latest signed checkpoint. */
(function () {
  "use strict";
  var HC = window.HC, $ = HC.$, m = HC.m;

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
  function onAccount(action, label) {
    var id = parseInt($("account-id").value, 10);
    if (!(id > 0)) { $("account-id").focus(); return; }
    HC.api("POST", "/admin/accounts/" + id + "/" + action, null, { "Idempotency-Key": HC.newKey() }).then(function (r) {
      if (!done(r, label + " #" + id)) { return; }
      if (r.body && r.body.token) { HC.say(m("created", { id: id, token: r.body.token })); }
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
        $("account-id").value = r.body.account_id;
      });
    });
    $("do-approve").addEventListener("click", function () { onAccount("approve", m("approve")); });
    $("do-token").addEventListener("click", function () { onAccount("token", m("new_token")); });
    $("do-revoke").addEventListener("click", function () { onAccount("revoke", m("revoke")); });
    $("do-disable").addEventListener("click", function () { onAccount("disable", m("disable")); });
    $("do-settings").addEventListener("click", function () {
      var election = text("set-election");
      if (!election) { $("set-election").focus(); return; }
      var body = {};
      [["set-registration", "registration_deadline"], ["set-declaration", "declaration_deadline"],
       ["set-upload", "upload_deadline"]].forEach(function (p) { if ($(p[0]).value) { body[p[1]] = HC.when($(p[0])); } });
      if ($("set-embargo").value) { body.embargo = $("set-embargo").value === "true"; }
      if ($("set-min-group").value) { body.min_group_size = parseInt($("set-min-group").value, 10); }
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
  };
})();
