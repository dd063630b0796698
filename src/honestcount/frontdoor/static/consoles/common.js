/* The staff consoles' shared part: sign-in with a staff token (sessionStorage), calls to the
   intake API with it, photos fetched with it, and the plain words of a refusal. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("config").textContent);
  var KEY = "hc-staff-token";
  var $ = function (id) { return document.getElementById(id); };
  function m(key, fields) {
    return String(cfg.m[key]).replace(/\{(\w+)\}/g, function (_, f) { return fields ? fields[f] : ""; });
  }
  function token() { return sessionStorage.getItem(KEY); }
  function newKey() {
    var a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function detail(body) {
    var d = body && body.detail;
    if (Array.isArray(d)) { return d.map(function (x) { return (x.loc || []).slice(-1) + ": " + x.msg; }).join("; "); }
    return d ? String(d) : "";
  }
  // Any call: resolves {status, body}; status 0 when the network failed.
  function api(method, path, body, headers) {
    var h = { Authorization: "Bearer " + token(), "X-Channel": "console" };
    Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
    var init = { method: method, headers: h };
    if (body !== undefined && body !== null) {
      if (body instanceof Blob) { init.body = body; h["Content-Type"] = body.type || "image/jpeg"; }
      else { init.body = JSON.stringify(body); h["Content-Type"] = "application/json"; }
    }
    return fetch(cfg.api + path, init).then(function (r) {
      return r.text().then(function (t) {
        var parsed = null;
        try { parsed = t ? JSON.parse(t) : null; } catch (e) { parsed = { detail: t }; }
        return { status: r.status, body: parsed };
      });
    }, function () { return { status: 0, body: null }; });
  }
  function say(text) { $("status").textContent = text; }
  function alarm(text) { $("alert").textContent = text || ""; }
  function refused(r) {
    alarm(r.status === 0 ? m("offline") : m("refused", { status: r.status, detail: detail(r.body) }));
  }
  var shown = {};
  function photo(img, url) {
    if (shown[img.id]) { URL.revokeObjectURL(shown[img.id]); delete shown[img.id]; }
    img.removeAttribute("src");
    if (!url) { return Promise.resolve(); }
    return fetch(cfg.api + "/" + url, { headers: { Authorization: "Bearer " + token() } })
      .then(function (r) { return r.ok ? r.blob() : null; })
      .then(function (b) { if (b) { shown[img.id] = URL.createObjectURL(b); img.src = shown[img.id]; } },
            function () { alarm(m("offline")); });
  }
  function elections() {
    var cache = {};
    return function (id) {
      if (!cache[id]) {
        cache[id] = fetch(cfg.api + "/elections/" + encodeURIComponent(id))
          .then(function (r) { return r.ok ? r.json() : null; },
                function () { delete cache[id]; return null; });
      }
      return cache[id];
    };
  }
  // ISO time from a datetime-local input (the browser's zone), or now.
  function when(input) {
    var v = input && input.value;
    return (v ? new Date(v) : new Date()).toISOString();
  }
  function localNow() {
    var d = new Date();
    d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
    return d.toISOString().slice(0, 16);
  }
  function enter(me) {
    $("signin").hidden = true;
    $("who").hidden = false;
    $("signout").hidden = false;
    $("who").textContent = m("signed_in", { id: me.account_id, role: me.role });
    $("work").hidden = false;
    if (window.HC.start) { window.HC.start(me); }
  }
  function signIn(value) {
    if (value) { sessionStorage.setItem(KEY, value); }
    if (!token()) { return; }
    api("GET", "/me").then(function (r) {
      var kept = sessionStorage.getItem(KEY + ":me");
      if (r.status === 0 && kept) {  // offline: work on (the queue sends later)
        alarm(m("offline"));
        enter(JSON.parse(kept));
        return;
      }
      if (r.status !== 200) {
        sessionStorage.removeItem(KEY);
        alarm(r.status === 0 ? m("offline") : m("bad_token", { detail: detail(r.body) }));
        return;
      }
      if (cfg.roles.indexOf(r.body.role) < 0) {
        sessionStorage.removeItem(KEY);
        alarm(m("wrong_role", { role: r.body.role }));
        return;
      }
      alarm("");
      sessionStorage.setItem(KEY + ":me", JSON.stringify(r.body));
      enter(r.body);
    });
  }
  window.HC = {
    cfg: cfg, $: $, m: m, api: api, say: say, alarm: alarm, refused: refused, photo: photo,
    newKey: newKey, detail: detail, election: elections(), when: when, localNow: localNow,
    start: null
  };
  document.addEventListener("DOMContentLoaded", function () {
    $("signin").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var v = $("token").value.trim();
      $("token").value = "";
      signIn(v);
    });
    $("signout").addEventListener("click", function () {
      sessionStorage.removeItem(KEY);
      sessionStorage.removeItem(KEY + ":me");
      location.reload();
    });
    signIn(null);
  });
})();
