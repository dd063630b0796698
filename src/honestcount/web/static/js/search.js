/* Station search in a static copy of the site: the index is a <script> file
   (window.HC_INDEX), so it works from disk, where browsers block loading JSON at run time. */
(function () {
  "use strict";
  var ix = window.HC_INDEX;
  var cfg = JSON.parse(document.getElementById("search-config").textContent);
  var status = document.getElementById("search-status");
  var table = document.getElementById("search-results");
  var form = document.getElementById("search-form");
  if (!ix) { status.textContent = cfg.strings.missing; return; }
  // numbers as the page formats them (the browser may lack the language's locale data)
  var nf = { format: function (n) {
    return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, cfg.group);
  } };

  // ids are front-coded (each shares ix.p[i] leading characters with the one before)
  var n = ix.p.length, ids = new Array(n), prev = "";
  for (var i = 0; i < n; i++) { prev = prev.slice(0, ix.p[i]) + ix.s[i]; ids[i] = prev; }
  // Search folds scripts and spellings as the live site does (honestcount/web/search.py):
  // Мінск, Минск and Minsk are one name.
  var CYR = {"а":"a","б":"b","в":"v","г":"g","ґ":"g","д":"d","е":"e","ё":"e","є":"e","ж":"zh",
    "з":"z","и":"i","і":"i","ї":"i","й":"i","к":"k","л":"l","м":"m","н":"n","о":"o","п":"p",
    "р":"r","с":"s","т":"t","у":"u","ў":"u","ф":"f","х":"h","ц":"ts","ч":"ch","ш":"sh",
    "щ":"sch","ъ":"","ы":"y","ь":"","э":"e","ю":"yu","я":"ya","'":"","ʼ":"","’":""};
  var BEFORE = [["č","ch"],["š","sh"],["ž","zh"],["ć","ts"],["ł","l"],["x","ks"]];
  var MERGE = [["shch","sch"],["kh","h"],["tz","c"],["ts","c"],["g","h"],["w","v"],["j","i"],
    ["y","i"],["ie","e"]];
  function fold(s) {
    s = String(s || "").toLowerCase().replace(/[\u0400-\u04ff'ʼ’]/g, function (c) {
      return CYR.hasOwnProperty(c) ? CYR[c] : c;
    });
    BEFORE.forEach(function (p) { s = s.split(p[0]).join(p[1]); });
    s = s.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
    s = s.replace(/([aeiouy])w/g, "$1u");  // Belarusian ў: Vawkavysk is Vaŭkavysk
    MERGE.forEach(function (p) { s = s.split(p[0]).join(p[1]); });
    return s.replace(/\s+/g, " ").trim();
  }
  var text = new Array(n);
  for (i = 0; i < n; i++) {
    text[i] = fold(ids[i] + " " + (ix.towns[ix.town[i]] || "") + " " + (ix.name[i] || "") + " " +
                   (ix.districts[ix.district[i]] || ""));
  }
  // district names match word for word, without the city in brackets (search.py)
  var dtext = (ix.dnames || []).map(function (names) {
    return " " + fold(names.join(" ").replace(/\s*\([^)]*\)/g, "").replace(/,/g, " ")) + " ";
  });
  function hit(i) {
    return text[i].indexOf(qq) >= 0 || (ix.dn && ix.dn[i] >= 0 && dtext[ix.dn[i]].indexOf(" " + qq + " ") >= 0);
  }
  function key(i) { return ix.keys && ix.keys[i] ? ix.keys[i] : ids[i]; }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  var params = new URLSearchParams(window.location.search);
  ["q", "verdict", "region", "settlement_type", "check"].forEach(function (name) {
    var el = form.elements[name];
    if (el && params.get(name) !== null) el.value = params.get(name);
  });
  var q = (params.get("q") || "").trim(), qq = fold(q);
  var verdict = params.get("verdict") || "", code = verdict ? cfg.codes[verdict] : "";
  var region = params.get("region") ? ix.regions.indexOf(params.get("region")) : -1;
  var type = params.get("settlement_type") ? ix.types.indexOf(params.get("settlement_type")) : -1;
  var check = params.get("check") || "";

  var hits = [], exact = -1;
  for (i = 0; i < n; i++) {
    if (code && ix.v.charAt(i) !== code) continue;
    if (region >= 0 && ix.r[i] !== region) continue;
    if (type >= 0 && ix.t[i] !== type) continue;
    if (check && (ix.f[i] || "").split(";").indexOf(check) < 0) continue;
    if (qq && !hit(i)) continue;
    if (q && ids[i] === q) exact = hits.length;
    hits.push(i);
  }
  if (exact > 0) hits.unshift(hits.splice(exact, 1)[0]);
  function href(i) { return cfg.prefix + encodeURIComponent(key(i)); }
  if (hits.length === 1 && q && ids[hits[0]] === q) {
    window.location.replace(href(hits[0]));
    return;
  }
  // a region's list shows every station; a search the first cfg.limit
  var limit = (region >= 0 && !q && !code && type < 0 && !check) ? n : cfg.limit;
  status.textContent = cfg.strings.count.replace("{n}", nf.format(hits.length)) +
    (hits.length > limit ? " " + cfg.strings.first.replace("{n}", nf.format(limit)) : "");
  var rows = [];
  hits.slice(0, limit).forEach(function (i) {
    var c = ix.v.charAt(i);
    rows.push("<tr><th scope=\"row\"><a href=\"" + esc(href(i)) + "\">" + esc(ids[i]) +
      "</a></th><td>" + esc(cfg.regionLabels[ix.r[i]] || ix.regions[ix.r[i]] || "") + "</td><td>" +
      esc(ix.towns[ix.town[i]] || "") + "</td><td><span class=\"verdict v-" + c + "\">" +
      "<svg class=\"vsym\" aria-hidden=\"true\"><use href=\"#sym-" + c + "\"></use></svg><span>" +
      esc(cfg.labels[c] || c) + "</span></span></td><td class=\"num\">" +
      (ix.x[i] ? nf.format(ix.x[i]) : "") + "</td></tr>");
  });
  table.tBodies[0].innerHTML = rows.join("");
  table.hidden = hits.length === 0;
})();
