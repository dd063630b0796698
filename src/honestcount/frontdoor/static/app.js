/* The voter app: find the station, register, declare, send the ballot photo.
   Every submission goes through an IndexedDB queue with its idempotency key and leaves it
   only when the intake has answered, so a dropped connection loses nothing and a retry never
   counts twice. The station list is searched here; the phone's location never leaves it. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("config").textContent);
  var API = "/api/v1";
  var EID = cfg.election;
  var STORE = "hc-vote:" + EID;
  var $ = function (id) { return document.getElementById(id); };
  function m(key, fields) {
    return String(cfg.m[key]).replace(/\{(\w+)\}/g, function (_, f) { return fields[f]; });
  }
  var state = JSON.parse(localStorage.getItem(STORE) || "{}");
  state.photos = state.photos || [];
  function save() { localStorage.setItem(STORE, JSON.stringify(state)); }
  function newKey() {
    if (self.crypto && crypto.randomUUID) { return crypto.randomUUID().replace(/-/g, ""); }
    var a = new Uint8Array(16); crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // ------------------------------------------------------------------ the queue
  var dbp = new Promise(function (ok, fail) {
    var r = indexedDB.open("hc-vote", 1);
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
  function enqueue(item) {
    item.key = newKey();
    return tx("readwrite", function (s) { return s.add(item); }).then(show).then(flush);
  }
  function first() {
    return tx("readonly", function (s) { return s.openCursor(); }).then(function (c) { return c ? c.value : null; });
  }
  function drop(id) { return tx("readwrite", function (s) { return s.delete(id); }); }
  function count() { return tx("readonly", function (s) { return s.count(); }); }
  function show() {
    return count().then(function (n) {
      $("queue").textContent = n ? m("web_queued", { n: n }) : (state.account ? m("web_sent") : "");
    });
  }

  function request(item) {
    return new Promise(function (ok) {
      var x = new XMLHttpRequest();
      x.open("POST", API + item.path);
      x.setRequestHeader("Idempotency-Key", item.key);
      x.setRequestHeader("X-Channel", "web");
      if (item.kind !== "register") { x.setRequestHeader("Authorization", "Bearer " + state.token); }
      x.setRequestHeader("Content-Type", item.blob ? "image/jpeg" : "application/json");
      if (item.blob) {
        $("progress").hidden = false;
        x.upload.onprogress = function (e) { if (e.lengthComputable) { $("progress").value = 100 * e.loaded / e.total; } };
      }
      x.onload = function () {
        var body = {}; try { body = JSON.parse(x.responseText); } catch (e) { /* not JSON */ }
        ok({ status: x.status, body: body });
      };
      x.onerror = x.ontimeout = function () { ok({ status: 0, body: {} }); };
      x.send(item.blob || JSON.stringify(item.json));
    });
  }
  function apply(item, body) {
    if (item.kind === "register") {
      state.token = body.token; state.account = body.account_id; state.station = body.station_id;
      state.verification = body.verification;
    } else if (item.kind === "declare") {
      state.option = body.option_id;
    } else if (item.kind === "photo") {
      state.photos = state.photos.filter(function (p) { return p.id !== body.photo_id; });
      state.photos.push({ id: body.photo_id, side: item.side, status: body.status });
      $("progress").hidden = true;
    }
    save(); steps();
  }
  var flushing = false;
  function flush() {
    if (flushing) { return Promise.resolve(); }
    flushing = true;
    function next() {
      return first().then(function (item) {
        if (!item) { return; }
        if (item.kind !== "register" && !state.token) { return; }
        return request(item).then(function (r) {
          if (r.status === 0 || r.status === 429 || r.status >= 500) { return; }  // try later
          if (r.status >= 400) {
            var d = r.body && r.body.detail;
            $("queue").textContent = m("web_refused", { detail: typeof d === "string" ? d : r.status });
          } else { apply(item, r.body); }
          return drop(item.id).then(next);
        });
      });
    }
    return next().then(function () { flushing = false; return show(); },
                       function () { flushing = false; });
  }
  window.addEventListener("online", flush);
  setInterval(flush, 15000);

  // ------------------------------------------------------------------ stations
  var CYR = {"а":"a","б":"b","в":"v","г":"g","ґ":"g","д":"d","е":"e","ё":"e","є":"e","ж":"zh",
    "з":"z","и":"i","і":"i","ї":"i","й":"i","к":"k","л":"l","м":"m","н":"n","о":"o","п":"p",
    "р":"r","с":"s","т":"t","у":"u","ў":"u","ф":"f","х":"h","ц":"ts","ч":"ch","ш":"sh",
    "щ":"sch","ъ":"","ы":"y","ь":"","э":"e","ю":"yu","я":"ya","'":"","ʼ":"","’":""};
  var BEFORE = [["č","ch"],["š","sh"],["ž","zh"],["ć","ts"],["ł","l"],["x","ks"]];
  var MERGE = [["shch","sch"],["kh","h"],["tz","c"],["ts","c"],["g","h"],["w","v"],["j","i"],
    ["y","i"],["ie","e"]];
  function fold(s) {  // the same skeleton as honestcount.web.search.fold
    s = String(s || "").toLowerCase().replace(/[\u0400-\u04ff'ʼ’]/g, function (c) {
      return Object.prototype.hasOwnProperty.call(CYR, c) ? CYR[c] : c;
    });
    BEFORE.forEach(function (p) { s = s.split(p[0]).join(p[1]); });
    s = s.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
    MERGE.forEach(function (p) { s = s.split(p[0]).join(p[1]); });
    return s.replace(/\s+/g, " ").trim();
  }
  var ix = null;
  function stations() {
    if (!ix) {
      ix = fetch("/vote/" + encodeURIComponent(EID) + "/stations.json").then(function (r) { return r.json(); });
    }
    return ix;
  }
  var chosen = null;
  function offer(d, hits) {
    var box = $("found"); box.textContent = "";
    if (!hits.length) { box.textContent = cfg.m.web_none; return; }
    hits.forEach(function (i) {
      var b = document.createElement("button");
      b.type = "button"; b.textContent = d.label[i]; b.setAttribute("role", "listitem");
      b.setAttribute("aria-pressed", String(d.id[i] === chosen));
      b.onclick = function () {
        chosen = d.id[i]; $("do-register").disabled = false;
        Array.prototype.forEach.call(box.children, function (c) { c.setAttribute("aria-pressed", String(c === b)); });
      };
      box.appendChild(b);
    });
  }
  $("q").addEventListener("input", function () {
    var words = fold($("q").value).split(" ").filter(Boolean);
    if (!words.length) { return; }
    stations().then(function (d) {
      var hits = [];
      for (var i = 0; i < d.id.length && hits.length < 8; i++) {
        if (words.every(function (w) { return d.text[i].indexOf(w) >= 0; })) { hits.push(i); }
      }
      offer(d, hits);
    });
  });
  $("near").addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(function (p) {
      var la = p.coords.latitude * Math.PI / 180, lo = p.coords.longitude * Math.PI / 180;
      stations().then(function (d) {
        var all = [];
        for (var i = 0; i < d.id.length; i++) {
          if (d.lat[i] === null) { continue; }
          var b = d.lat[i] * Math.PI / 180, dl = d.lon[i] * Math.PI / 180 - lo;
          var h = Math.pow(Math.sin((b - la) / 2), 2) + Math.cos(la) * Math.cos(b) * Math.pow(Math.sin(dl / 2), 2);
          all.push([h, i]);
        }
        all.sort(function (x, y) { return x[0] - y[0]; });
        offer(d, all.slice(0, 5).map(function (x) { return x[1]; }));
      });
    });
  });

  // ------------------------------------------------------------------ the steps
  $("do-register").addEventListener("click", function () {
    var phone = $("phone").value.trim();
    if (!phone || !chosen) { return; }
    state.station = chosen; save();
    enqueue({ kind: "register", path: "/elections/" + EID + "/voters", json: { phone: phone, station_id: chosen } });
    $("phone").value = ""; steps();
  });
  $("do-declare").addEventListener("click", function () {
    var picked = document.querySelector("input[name=option]:checked");
    if (!picked) { return; }
    state.option = picked.value; save();
    enqueue({ kind: "declare", path: "/elections/" + EID + "/declarations", json: { option_id: picked.value } });
    steps();
  });
  $("file").addEventListener("change", function () {
    var file = $("file").files[0];
    if (!file) { return; }
    createImageBitmap(file, { imageOrientation: "from-image" }).then(function (img) {
      // at most 2 megapixels; drawing on a canvas leaves the camera's metadata behind
      var k = Math.min(1, Math.sqrt(2e6 / (img.width * img.height)));
      var c = document.createElement("canvas");
      c.width = Math.floor(img.width * k); c.height = Math.floor(img.height * k);
      c.getContext("2d").drawImage(img, 0, 0, c.width, c.height);
      c.toBlob(function (blob) {
        var side = state.photos.some(function (p) { return p.side === "front"; }) ? "back" : "front";
        enqueue({ kind: "photo", side: side, path: "/elections/" + EID + "/ballot-photos?side=" + side, blob: blob });
        $("file").value = "";
      }, "image/jpeg", 0.85);
    });
  });

  // ------------------------------------------------------- proving the number
  // Not queued: the voter is at the phone, switching to the bot and back, so each step is
  // asked now and its answer shown at once.
  function ask(path, json) {
    return request({ kind: "verify", path: path, json: json, key: newKey() });
  }
  function said(key, fields) { $("verify-result").textContent = m(key, fields || {}); }
  $("do-verify").addEventListener("click", function () {
    ask("/me/verification", {}).then(function (r) {
      if (r.status !== 200) { return said(r.status ? "web_refused" : "web_verify_offline", { detail: r.status }); }
      state.challenge = r.body.challenge; save();
      $("verify-result").textContent = ""; offerBot();
    });
  });
  function offerBot() {
    var command = "/start " + state.challenge;
    $("verify-command").textContent = command;
    if (cfg.bot) {
      $("verify-link").href = "https://t.me/" + cfg.bot + "?start=" + encodeURIComponent(state.challenge);
    }
    $("verify-link").hidden = !cfg.bot;
    $("verify-say").textContent = cfg.m[cfg.bot ? "web_verify_command" : "web_verify_send"];
    $("verify-go").hidden = false;
  }
  $("do-confirm").addEventListener("click", function () {
    var code = $("code").value.replace(/\s+/g, "");
    if (!code || !state.challenge) { return; }
    ask("/me/verification/confirm", { challenge: state.challenge, code: code }).then(function (r) {
      if (r.status === 200 && r.body.verified) {
        state.verification = r.body.verification; delete state.challenge; save();
        $("code").value = ""; $("verify-go").hidden = true;
        return steps();  // the receipt says how the number was proved
      }
      if (r.status === 403 && r.body.attempts_left > 0) { return said("web_verify_wrong", { n: r.body.attempts_left }); }
      if (r.status === 409) { return said("web_verify_not_yet"); }
      if (r.status === 0) { return said("web_verify_offline"); }
      delete state.challenge; save(); $("verify-go").hidden = true;  // used, expired or closed
      said("web_verify_closed");
    });
  });
  function unproved() { return !state.verification || state.verification === "none"; }

  function receipt() {
    var list = $("receipt-list"); list.textContent = "";
    var name = cfg.options.filter(function (o) { return o[0] === state.option; })[0];
    var tier = state.account ? cfg.m["tier_" + (state.verification || "none")] || state.verification : "";
    [[cfg.m.web_account, state.account], [cfg.m.web_tier, tier], ["⌂", state.station], ["✓", name ? name[1] : ""]]
      .concat(state.photos.map(function (p) { return ["#" + p.id, (cfg.m[p.side] || p.side) + ": " + (cfg.m[p.status] || p.status)]; }))
      .forEach(function (row) {
        if (row[1] === undefined || row[1] === "") { return; }
        var li = document.createElement("li"); li.textContent = row[0] + " " + row[1]; list.appendChild(li);
      });
    $("receipt").hidden = !state.account;
  }
  function steps() {
    $("register").hidden = !!state.station;
    $("declare").hidden = !state.station;
    $("photo").hidden = !state.option;
    $("verify").hidden = !(state.account && unproved());
    if (state.challenge && unproved()) { offerBot(); }
    receipt();
  }
  steps(); show(); flush();
  if ("serviceWorker" in navigator) { navigator.serviceWorker.register("/vote/sw.js").catch(function () {}); }
})();
