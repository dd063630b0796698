/* One station's page in a static copy of the site: station.html?id=KEY loads the station's
   data (assets/s/KEY.js, a <script> file: browsers block JSON at run time on file://) and
   draws what the live site's station page shows, with the page language's words. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("station-config").textContent);
  var root = document.getElementById("station");
  var T = cfg.strings;
  function t(key, vars, fallback) {
    var s = T.hasOwnProperty(key) ? T[key] : (fallback !== undefined ? fallback : key);
    if (vars) s = s.replace(/\{(\w+)\}/g, function (m, k) { return vars.hasOwnProperty(k) ? vars[k] : m; });
    return s;
  }
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function num(n, digits) {
    if (n === null || n === undefined || (typeof n === "number" && isNaN(n))) return "—";
    var neg = n < 0, x = Math.abs(n), s = digits ? x.toFixed(digits) : String(Math.round(x));
    var parts = s.split(".");
    s = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, cfg.group) + (parts[1] ? cfg.decimal + parts[1] : "");
    return (neg ? "−" : "") + s;
  }
  function signed(n) { return n === null || n === undefined ? "—" : (n > 0 ? "+" : "") + num(n); }
  function label(kind, v) { return v === null || v === undefined ? t("common.unknown") : t("labels." + kind + "." + v, null, String(v)); }
  function verdict(v, badge) {
    var c = cfg.codes[v] || "U";
    return "<span class=\"" + (badge ? "badge" : "verdict") + " v-" + c + "\"><svg class=\"vsym\" aria-hidden=\"true\" focusable=\"false\"><use href=\"#sym-" + c + "\"></use></svg><span>" + esc(t("verdict." + v + ".label")) + "</span></span>";
  }
  function district(s) {
    var name = s.district_names && s.district_names[cfg.lang];
    return name ? name + (s.district ? " (" + s.district + ")" : "") : (s.district || "—");
  }
  function section(id, title, body) {
    return "<section aria-labelledby=\"h-" + id + "\"><h2 id=\"h-" + id + "\">" + esc(title) + "</h2>" + body + "</section>";
  }
  function facts(pairs) {
    return "<dl class=\"facts\">" + pairs.map(function (p) { return "<dt>" + esc(p[0]) + "</dt><dd>" + p[1] + "</dd>"; }).join("") + "</dl>";
  }

  function draw(doc) {
    var e = doc.election, s = doc.station, v = doc.verdict, names = {}, h = [];
    doc.options.forEach(function (o) { names[o.id] = t("labels.option." + e.id + "." + o.id, null, o.name); });
    function pick(ids) {  // each name quoted, the last joined with "and" (i18n.listing)
      var q = ids.map(function (x) { return t("common.quoted", { x: names[x] || x }); });
      return q.length < 2 ? q.join("") : q.slice(0, -1).join(", ") + t("common.and") + q[q.length - 1];
    }
    document.title = t("station.title", { id: s.id }) + " · honestcount";
    h.push("<nav class=\"breadcrumb\" aria-label=\"" + esc(t("nav.breadcrumb")) + "\"><ol><li><a href=\"index.html\">" +
      esc(t("labels.election." + e.id, null, e.name)) + "</a></li>" +
      (s.region ? "<li><a href=\"search.html?region=" + encodeURIComponent(s.region) + "\">" + esc(label("region", s.region)) + "</a></li>" : "") +
      "<li aria-current=\"page\">" + esc(s.id) + "</li></ol></nav>");
    h.push("<h1>" + esc(t("station.title", { id: s.id })) + "</h1><p>" + verdict(v.verdict, true) + "</p>");
    var ex = [];
    if (v.verdict === "falsification_proven") {
      ex.push("<p>" + esc(t("station.explain.falsification_proven", { options: pick(v.proven_options) })) + "</p>");
      ex.push("<p class=\"big\">" + esc(t("station.explain.proven_votes", { n: num(v.proven_excess_votes) })) + "</p>");
    } else if (v.verdict === "turnout_inflation_proven") {
      ex.push("<p>" + esc(t("station.explain.turnout_inflation_proven", { observed: num(v.observer_turnout_count), official: num(v.official_voters), diff: num(v.turnout_excess) })) + "</p>");
    } else if (v.verdict === "declared_exceeds_official") {
      ex.push("<p>" + esc(t("station.explain.declared_exceeds_official", { options: pick(v.declared_exceeds_options) })) + "</p>");
    } else {
      ex.push("<p>" + esc(t("station.explain." + v.verdict)) + "</p>");
    }
    var po = doc.photos_over_list;
    if (po) {
      ex.push("<p class=\"note\" id=\"photos-over-list\">" + esc(t("station.photos_over_list", { photos: num(po.photos), listed: num(po.registered_voters), declared: num(po.declared) })) + "</p>");
    }
    if (v.verdict !== "turnout_inflation_proven" && v.observer_turnout_count !== null && v.observer_turnout_count !== undefined) {
      ex.push("<p>" + esc(t("station.explain.turnout_counts", { observed: num(v.observer_turnout_count), official: num(v.official_voters) })) + "</p>");
    }
    h.push(section("verdict", t("station.verdict_title"), ex.join("")));

    var evidence = doc.options.some(function (o) { return o.photo_confirmed !== null || o.declared !== null; });
    var rows = doc.options.filter(function (o) { return evidence || o.official !== null; }).map(function (o) {
      var r = "<tr" + (o.verdict === "falsification_proven" ? " class=\"hl\"" : "") + "><th scope=\"row\">" + esc(names[o.id]) + "</th>" +
        "<td class=\"num\" data-label=\"" + esc(t("station.official")) + "\">" + num(o.official) + "</td>";
      if (evidence) {
        r += "<td class=\"num\" data-label=\"" + esc(t("station.photo")) + "\">" + num(o.photo_confirmed) + "</td>" +
          "<td class=\"num\" data-label=\"" + esc(t("station.declared")) + "\">" + num(o.declared) + "</td>" +
          "<td class=\"num\" data-label=\"" + esc(t("station.photo_minus")) + "\">" + signed(o.photo_minus_official) + "</td>" +
          "<td class=\"" + (o.verdict ? "" : "empty") + "\" data-label=\"" + esc(t("filter.verdict")) + "\">" + (o.verdict ? verdict(o.verdict) : "") + "</td>";
      }
      return r + "</tr>";
    });
    var head = "<th scope=\"col\">" + esc(t("common.option")) + "</th><th scope=\"col\" class=\"num\">" + esc(t("station.official")) + "</th>" +
      (evidence ? ["station.photo", "station.declared", "station.photo_minus"].map(function (k) { return "<th scope=\"col\" class=\"num\">" + esc(t(k)) + "</th>"; }).join("") +
        "<th scope=\"col\">" + esc(t("filter.verdict")) + "</th>" : "");
    h.push(section("options", t("station.options_title"), "<div class=\"table-wrap\"><table class=\"cards-sm\"><thead><tr>" + head +
      "</tr></thead><tbody>" + rows.join("") + "</tbody></table></div><p class=\"note\">" + esc(t("station.options_note")) + "</p>"));

    var place = [[t("filter.region"), esc(label("region", s.region))], [t("station.district"), esc(district(s))]];
    if (s.settlement_type) place.push([t("filter.settlement"), esc(label("settlement", s.settlement_type))]);
    place.push([t("station.town"), esc(s.town || "—")]);
    if (s.name) place.push([t("station.address"), esc(s.name)]);
    place.push([t("station.coordinates"), s.latitude !== null ? num(s.latitude, 5) + ", " + num(s.longitude, 5) +
      " · <a href=\"map.html?station=" + encodeURIComponent(s.id) + "\">" + esc(t("station.on_map")) + "</a>" : esc(t("station.no_coordinates"))]);
    place.push([t("station.registered"), num(s.registered_voters)]);
    h.push(section("place", t("station.place_title"), facts(place)));

    var p = doc.protocol, pr = [];
    if (p.source) {
      pr.push("<p>" + esc(t("station.protocol_source")) + ": <strong>" + esc(t("sources." + p.source, null, p.source)) + "</strong></p>");
      if (p.lines.length) {
        pr.push("<div class=\"table-wrap\"><table><thead><tr><th scope=\"col\">" + esc(t("station.line")) + "</th><th scope=\"col\" class=\"num\">" +
          esc(t("station.value")) + "</th></tr></thead><tbody>" + p.lines.map(function (l) {
            return "<tr><td>" + esc(t("lines." + l.line, null, l.line)) + "</td><td class=\"num\">" + num(l.value) + "</td></tr>";
          }).join("") + "</tbody></table></div>");
      }
      p.other_sources.forEach(function (o) {
        var body = Object.keys(o.lines).map(function (k) { return "<tr><td>" + esc(t("lines." + k, null, k)) + "</td><td class=\"num\">" + num(o.lines[k]) + "</td></tr>"; })
          .concat(Object.keys(o.official).map(function (k) { return "<tr><td>" + esc(names[k] || k) + "</td><td class=\"num\">" + num(o.official[k]) + "</td></tr>"; }));
        pr.push("<details><summary>" + esc(t("station.other_source", { source: t("sources." + o.source, null, o.source) })) +
          "</summary><div class=\"table-wrap\"><table><tbody>" + body.join("") + "</tbody></table></div></details>");
      });
    } else {
      pr.push("<p>" + esc(t("station.no_protocol")) + "</p>");
    }
    pr.push("<h3>" + esc(t("station.photo_title")) + "</h3><p>" + esc(t("station.photo_none")) + "</p>");
    if (doc.source_url) pr.push("<p>" + esc(t("station.source_page")) + ": <a href=\"" + esc(doc.source_url) + "\" rel=\"nofollow noopener\" class=\"mono\">" + esc(doc.source_url.slice(0, 90)) + "</a></p>");
    h.push(section("protocol", t("station.protocol_title"), pr.join("")));

    var ch = doc.failed_checks.length ? "<ul>" + doc.failed_checks.map(function (c) {
      return "<li>" + esc(t("rules." + c.rule, null, c.description || c.rule)) + " <span class=\"muted mono\">" + esc(c.rule) + "</span></li>";
    }).join("") + "</ul>" : "<p>" + esc(t("station.checks_none")) + "</p>";
    if (doc.data_quality.length) {
      ch += "<h3>" + esc(t("station.quality_title")) + "</h3><ul>" + doc.data_quality.map(function (f) {
        return "<li><span class=\"mono\">" + esc(f.rule) + "</span>: <span lang=\"en\">" + esc(f.detail) + "</span></li>";
      }).join("") + "</ul>";
    }
    h.push(section("checks", t("station.checks_title"), ch));

    var ob = doc.observers, obs;
    if (ob.observers !== null || ob.turnout_count !== null || ob.violations.length) {
      obs = facts([[t("station.observers"), num(ob.observers)], [t("station.observer_count"), num(ob.turnout_count)]]);
      obs += ob.violations.length ? "<h3>" + esc(t("station.violations")) + "</h3><ul>" + ob.violations.map(function (x) {
        return "<li>" + esc(t("violations." + x.reason, null, x.reason || x.code)) + "</li>";
      }).join("") + "</ul>" : "<p>" + esc(t("station.no_violations")) + "</p>";
    } else {
      obs = "<p>" + esc(t("station.no_observers")) + "</p>";
    }
    h.push(section("observers", t("station.observers_title"), obs));
    h.push("<p class=\"note\">" + esc(t("station.evidence_note")) + " <a href=\"../json/s/" + encodeURIComponent(cfg.key) +
      ".json\" type=\"application/json\">JSON</a> · <a href=\"data.html\">" + esc(t("nav.data")) + "</a></p>");
    root.innerHTML = h.join("");
    var sw = document.querySelectorAll("nav.langs a[hreflang]");
    for (var i = 0; i < sw.length; i++) sw[i].href = sw[i].href.split("?")[0] + "?id=" + encodeURIComponent(cfg.key);
  }

  var id = new URLSearchParams(window.location.search).get("id") || "";
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$/.test(id)) { root.textContent = t("error.not_found"); return; }
  cfg.key = id;
  var script = document.createElement("script");
  script.src = cfg.data + id + ".js";
  script.onload = function () { if (window.HC_STATION) draw(window.HC_STATION); };
  script.onerror = function () { root.textContent = t("error.no_station", { id: id }); };
  document.head.appendChild(script);
})();
