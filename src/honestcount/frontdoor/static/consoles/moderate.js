/* /moderate: the queue one photo at a time, large; a accepts, r rejects with a reason, n skips.
   The service decides who may moderate what (never one's own photo): its refusal is shown. */
(function () {
  "use strict";
  var HC = window.HC, $ = HC.$, m = HC.m;
  var queue = [], current = null, busy = false;

  function optionName(item) {
    if (!item.declared_option) { return "—"; }
    return HC.election(item.election_id).then(function (e) {
      var found = (e && e.options || []).filter(function (o) { return o.id === item.declared_option; })[0];
      return found ? found.name : item.declared_option;
    });
  }
  function show() {
    current = queue.shift() || null;
    $("reason").value = "";
    if (!current) {
      $("item-title").textContent = m("queue_empty");
      $("dup-title").hidden = true;
      $("dup-fig").hidden = true;
      HC.photo($("photo"), null);
      HC.photo($("dup-photo"), null);
      ["do-accept", "do-reject", "do-skip"].forEach(function (id) { $(id).disabled = true; });
      return;
    }
    ["do-accept", "do-reject", "do-skip"].forEach(function (id) { $(id).disabled = false; });
    var item = current;
    Promise.resolve(optionName(item)).then(function (name) {
      if (item !== current) { return; }
      var title = m("photo_of", { id: item.photo_id, station: item.station_id || "—", side: item.side, option: name });
      $("item-title").textContent = title;
      $("photo").alt = title;
    });
    HC.photo($("photo"), item.url);
    var dup = item.duplicate_of;
    $("dup-title").hidden = !dup;
    $("dup-fig").hidden = !dup;
    if (dup) {
      $("dup-title").textContent = m("duplicate", { id: dup });
      $("dup-photo").alt = m("duplicate", { id: dup });
      HC.photo($("dup-photo"), "photos/" + dup);
    } else {
      HC.photo($("dup-photo"), null);
    }
  }
  function load() {
    return HC.api("GET", "/moderation/queue?limit=50").then(function (r) {
      if (r.status !== 200) { HC.refused(r); return; }
      queue = r.body;
      show();
    });
  }
  function decide(decision) {
    if (!current || busy) { return; }
    var reason = $("reason").value.trim();
    if (decision === "reject" && !reason) {
      HC.say(m("need_reason"));
      $("reason").focus();
      return;
    }
    busy = true;
    var item = current;
    var body = { decision: decision, reason: reason || null };
    HC.api("POST", "/moderation/photos/" + item.photo_id, body).then(function (r) {
      busy = false;
      if (r.status !== 200) { HC.refused(r); return; }
      HC.alarm("");
      HC.say(decision === "accept" ? m("accepted", { id: item.photo_id }) : m("rejected", { id: item.photo_id, reason: reason }));
      if (!queue.length) { load(); } else { show(); }
      if (document.activeElement === $("reason")) { $("reason").blur(); }
    });
  }
  HC.start = function () {
    $("do-accept").addEventListener("click", function () { decide("accept"); });
    $("do-reject").addEventListener("click", function () { decide("reject"); });
    $("do-skip").addEventListener("click", function () { HC.alarm(""); show(); });
    $("reason").addEventListener("keydown", function (ev) {
      if (ev.key === "Enter") { ev.preventDefault(); decide("reject"); }
      if (ev.key === "Escape") { $("reason").blur(); }
    });
    document.addEventListener("keydown", function (ev) {
      var t = ev.target;
      if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
      if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) { return; }
      var codes = { KeyA: "a", KeyR: "r", KeyN: "n" };  // any keyboard layout
      var k = codes[ev.code] || ev.key.toLowerCase();
      if (k === "a") { ev.preventDefault(); decide("accept"); }
      else if (k === "r") { ev.preventDefault(); decide("reject"); }
      else if (k === "n") { ev.preventDefault(); HC.alarm(""); show(); }
    });
    load();
  };
})();
