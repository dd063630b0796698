/* /observe: turnout counts, violations and protocol photos from a station. Every report goes
   into an IndexedDB queue with its idempotency key and leaves it only once the intake has
   answered, so a dropped connection loses nothing and a retry never counts twice. */
(function () {
  "use strict";
  var HC = window.HC, $ = HC.$, m = HC.m;
  var election = null, station = null, flushing = false;

  var dbp = new Promise(function (ok, fail) {
    var r = indexedDB.open("hc-observe", 1);
    r.onupgradeneeded = function () { r.result.createObjectStore("queue", { keyPath: "id", autoIncrement: true }); };
    r.onsuccess = function () { ok(r.result); };
    r.onerror = function () { fail(r.error); };
  });
  function tx(mode, work) {
    return dbp.then(function (db) {
      return new Promise(function (ok, fail) {
        var t = db.transaction("queue", mode), out = work(t.objectStore("queue"));
        t.oncomplete = function () { ok(out && out.result); };
        t.onerror = function () { fail(t.error); };
      });
    });
  }
  function count() { return tx("readonly", function (s) { return s.count(); }); }
  function first() {
    return tx("readonly", function (s) { return s.openCursor(); }).then(function (c) { return c ? c.value : null; });
  }
  function drop(id) { return tx("readwrite", function (s) { return s.delete(id); }); }
  function showQueue() {
    return count().then(function (n) { HC.say(n ? m("queued", { n: n }) : m("all_sent")); });
  }
  function enqueue(item) {
    item.key = HC.newKey();
    return tx("readwrite", function (s) { return s.add(item); }).then(showQueue).then(flush);
  }
  function logSent(item, body) {
    var li = document.createElement("li");
    li.textContent = item.label + " · " + (body && (body.report_id || body.photo_id) || "");
    $("sent-list").insertBefore(li, $("sent-list").firstChild);
  }
  function flush() {
    if (flushing) { return Promise.resolve(); }
    flushing = true;
    function next() {
      return first().then(function (item) {
        if (!item) { return null; }
        return HC.api("POST", item.path, item.body, { "Idempotency-Key": item.key }).then(function (r) {
          if (r.status === 0 || r.status === 429 || r.status >= 500) { return null; }  // later
          if (r.status >= 400) { HC.refused(r); } else { logSent(item, r.body); }
          return drop(item.id).then(next);
        });
      });
    }
    return next().then(function () { flushing = false; return showQueue(); },
                       function () { flushing = false; });
  }
  function stationPath(path) {
    return "/elections/" + encodeURIComponent(election) + path;
  }
  function choose(id, label) {
    station = id;
    $("station-chosen").textContent = label;
  }
  function search() {
    var q = $("station-q").value.trim(), box = $("station-hits");
    if (!q) { box.textContent = ""; return; }
    fetch("/consoles/" + encodeURIComponent(election) + "/stations?q=" + encodeURIComponent(q))
      .then(function (r) { return r.json(); })
      .then(function (hits) {
        if ($("station-q").value.trim() !== q) { return; }
        box.textContent = "";
        hits.forEach(function (s) {
          var b = document.createElement("button");
          b.type = "button";
          b.setAttribute("role", "listitem");
          b.textContent = s.label;
          b.addEventListener("click", function () { choose(s.id, s.label); box.textContent = ""; $("count").focus(); });
          box.appendChild(b);
        });
      }, function () { HC.alarm(m("offline")); });
  }
  function needStation() {
    if (station) { return false; }
    HC.alarm(m("pick_station"));
    $("station-q").focus();
    return true;
  }
  // The protocol photo, redrawn at most 2 megapixels: the camera's metadata stays on the phone.
  function downscale(file) {
    return createImageBitmap(file).then(function (bmp) {
      var scale = Math.min(1, Math.sqrt(2e6 / (bmp.width * bmp.height)));
      var c = document.createElement("canvas");
      c.width = Math.round(bmp.width * scale);
      c.height = Math.round(bmp.height * scale);
      c.getContext("2d").drawImage(bmp, 0, 0, c.width, c.height);
      return new Promise(function (ok) { c.toBlob(ok, "image/jpeg", 0.85); });
    });
  }
  HC.start = function (me) {
    election = me.election_id;
    if (me.station_id) {
      choose(me.station_id, me.station_id);
      $("station-pick").hidden = true;
      $("station-fixed").hidden = false;
      $("station-fixed").textContent = m("station_fixed", { station: me.station_id });
    }
    $("turnout-time").value = HC.localNow();
    HC.election(election).then(function (e) {
      var kept = "hc-observe:codes:" + election;  // the codes, offline too
      if (e) { localStorage.setItem(kept, JSON.stringify(e.violation_codes)); }
      var codes = e ? e.violation_codes : JSON.parse(localStorage.getItem(kept) || "[]");
      codes.forEach(function (c) {
        var o = document.createElement("option");
        o.value = c.code;
        o.textContent = c.code + " · " + c.reason;
        $("code").appendChild(o);
      });
    });
    $("station-q").addEventListener("input", search);
    $("do-turnout").addEventListener("click", function () {
      if (needStation()) { return; }
      var n = parseInt($("count").value, 10);
      if (!(n >= 0)) { $("count").focus(); return; }
      HC.alarm("");
      enqueue({ path: stationPath("/turnout"), label: m("turnout") + " " + n,
                body: { station_id: station, observed_at: HC.when($("turnout-time")), count: n } });
      $("count").value = "";
    });
    $("do-violation").addEventListener("click", function () {
      if (needStation() || !$("code").value) { return; }
      HC.alarm("");
      var note = $("note").value.trim();
      enqueue({ path: stationPath("/violations"), label: m("violation") + " " + $("code").value,
                body: { station_id: station, code: $("code").value, observed_at: new Date().toISOString(), note: note || null } });
      $("note").value = "";
    });
    $("protocol-file").addEventListener("change", function () {
      var file = $("protocol-file").files[0];
      if (!file || needStation()) { return; }
      HC.alarm("");
      downscale(file).then(function (blob) {
        $("protocol-file").value = "";
        return enqueue({ path: stationPath("/protocol-photos?station_id=" + encodeURIComponent(station)),
                         label: m("protocol_photo"), body: blob });
      });
    });
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/consoles/sw.js", { scope: "/observe" }).catch(function () {});

    }
    window.addEventListener("online", flush);
    setInterval(flush, 15000);
    showQueue().then(flush);
  };
})();
