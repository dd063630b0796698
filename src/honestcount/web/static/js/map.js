/* honestcount station map: every station as a shaped, coloured marker, clustered so that
   100,000 stations stay smooth; filters by verdict, region and settlement type; each marker
   links to its station page. Data comes from window.HC_LAYER (a <script> file, so the map
   also works from a static copy opened from disk) and the page's #map-config JSON. */
(function () {
  "use strict";
  var cfgEl = document.getElementById("map-config");
  var layer = window.HC_LAYER;
  var statusEl = document.getElementById("map-status");
  if (!cfgEl || !window.L || !layer) {
    if (statusEl) statusEl.textContent = "";
    return;
  }
  var cfg = JSON.parse(cfgEl.textContent);
  var S = cfg.strings;
  // numbers as the page formats them (the browser may lack the language's locale data)
  var nf = { format: function (n) {
    return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, cfg.group);
  } };
  function fmt(n) { return nf.format(n); }
  function say(template, n) { return template.replace("{n}", fmt(n)); }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // One shape and colour per verdict (as in the page's legend): colour is never the only cue.
  var SHAPES = {
    P: '<path d="M8 1.2 15.2 14.6H.8z" fill="#d55e00" stroke="#4a1d00" stroke-width="1"/>',
    T: '<path d="M8 .8 15.2 8 8 15.2.8 8z" fill="#cc79a7" stroke="#4f2240" stroke-width="1"/>',
    D: '<rect x="2" y="2" width="12" height="12" fill="#e69f00" stroke="#4d3600" stroke-width="1"/>',
    C: '<circle cx="8" cy="8" r="6.3" fill="#009e73" stroke="#00362a" stroke-width="1"/>',
    E: '<circle cx="8" cy="8" r="5.6" fill="#fff" stroke="#2a8fcb" stroke-width="3"/>',
    N: '<path d="M3 3 13 13M13 3 3 13" stroke="#6f757c" stroke-width="3.2" stroke-linecap="round"/>',
    W: '<rect x="2.5" y="5.5" width="11" height="8" rx="1" fill="#fff" stroke="#6f757c" stroke-width="2"/><path d="M5 5.5V4a3 3 0 0 1 6 0v1.5" fill="none" stroke="#6f757c" stroke-width="2"/>',
    U: '<path d="M2.5 8h11" stroke="#6f757c" stroke-width="3" stroke-linecap="round"/>'
  };
  var COLOURS = { P: "#d55e00", T: "#cc79a7", D: "#e69f00", C: "#009e73", E: "#56b4e9", N: "#8a8f96", W: "#9aa0a6", U: "#b9bec5" };
  var ORDER = ["P", "T", "D", "C", "E", "N", "W", "U"];
  var RAISE = { P: 600, T: 500, D: 400, C: 300, E: 200, N: 100 };
  var icons = {};
  ORDER.forEach(function (c) {
    icons[c] = L.divIcon({
      className: "hc-marker",
      html: '<svg viewBox="0 0 16 16" aria-hidden="true">' + SHAPES[c] + "</svg>",
      iconSize: [16, 16],
      iconAnchor: [8, 8],
      popupAnchor: [0, -6]
    });
  });

  var map = L.map("map", { zoomSnap: 0.5, minZoom: 2, maxZoom: 18, worldCopyJump: false });
  map.attributionControl.setPrefix(false);
  if (cfg.tiles && cfg.tiles.url) {
    L.tileLayer(cfg.tiles.url, { attribution: cfg.tiles.attribution || "", maxZoom: 19 }).addTo(map);
  }
  map.attributionControl.addAttribution(esc(S.attribution));
  if (cfg.view && cfg.view.bounds) {
    map.fitBounds(cfg.view.bounds, { padding: [10, 10] });
  } else {
    map.setView([0, 0], 2);
  }
  map.createPane("hc-labels");
  map.getPane("hc-labels").style.zIndex = 640;
  map.getPane("hc-labels").style.pointerEvents = "none";
  (cfg.view && cfg.view.labels || []).forEach(function (r) {
    L.marker([r.lat, r.lon], {
      pane: "hc-labels",
      icon: L.divIcon({ className: "hc-region-label", html: esc(r.label || r.region), iconSize: null }),
      interactive: false, keyboard: false
    }).addTo(map);
  });

  // Outlines to orient by without tiles: the extent of each region's and district's stations
  // (convex hulls of their coordinates, web/outlines.py), drawn dashed: not borders.
  var LANGS = ["be", "ru", "en"];  // the order of each layer.dnames entry
  function districtName(dn) { return dn >= 0 ? layer.dnames[dn][LANGS.indexOf(cfg.lang)] : ""; }
  var shapes = layer.outlines || { regions: [], districts: [] };
  map.createPane("hc-outlines");
  map.getPane("hc-outlines").style.zIndex = 350;
  map.getPane("hc-outlines").style.pointerEvents = "none";
  function outline(o, style) {
    return L.polygon(o.ring, L.extend({ pane: "hc-outlines", interactive: false, fill: false }, style));
  }
  var regionLines = L.layerGroup(shapes.regions.map(function (o) {
    return outline(o, { color: "#4b5057", weight: 1.6, opacity: 0.8, dashArray: "7 5" });
  })).addTo(map);
  var districtLines = L.layerGroup(shapes.districts.map(function (o) {
    return outline(o, { color: "#6f757c", weight: 1, opacity: 0.7, dashArray: "2 4" });
  }));
  var districtLabels = L.layerGroup(shapes.districts.filter(function (o) { return o.dn >= 0; }).map(function (o) {
    return L.marker(o.label, {
      pane: "hc-labels", interactive: false, keyboard: false,
      icon: L.divIcon({ className: "hc-district-label", html: esc(districtName(o.dn)), iconSize: null })
    });
  }));
  function showOutlines() {
    var z = map.getZoom();
    [[districtLines, z >= 8.5], [districtLabels, z >= 10]].forEach(function (p) {
      if (p[1] && !map.hasLayer(p[0])) p[0].addTo(map);
      if (!p[1] && map.hasLayer(p[0])) map.removeLayer(p[0]);
    });
  }
  map.on("zoomend", showOutlines);
  showOutlines();

  function href(i) {
    if (cfg.link.mode === "static") return cfg.link.prefix + encodeURIComponent(layer.keys[i]);
    return cfg.link.prefix + encodeURIComponent(layer.ids[i]);
  }
  function popup(marker) {
    var i = marker.hcIndex, code = layer.v.charAt(i);
    var d = layer.dn ? districtName(layer.dn[i]) : "";
    var html = "<strong>" + esc(layer.ids[i]) + "</strong><br>" + (d ? esc(d) + "<br>" : "") +
      '<svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">' + SHAPES[code] + "</svg> " +
      esc(cfg.labels[code] || code);
    if (layer.x[i]) html += "<br>" + esc(say(S.proven, layer.x[i]));
    html += '<br><a class="open" href="' + esc(href(i)) + '">' + esc(S.open) + " →</a>";
    return html;
  }

  var n = layer.ids.length, markers = new Array(n);
  for (var i = 0; i < n; i++) {
    var code = layer.v.charAt(i);
    var m = L.marker([layer.lat[i], layer.lon[i]], {
      icon: icons[code] || icons.U,
      title: layer.ids[i] + " — " + (cfg.labels[code] || code),
      keyboard: true,
      zIndexOffset: RAISE[code] || 0  // the strongest findings are drawn on top
    });
    m.hcIndex = i;
    m.hcCode = code;
    markers[i] = m;
  }
  // One popup for the whole map, filled on demand (a popup per marker costs memory and time
  // when there are 100,000 of them).
  var sharedPopup = L.popup({ offset: [0, -4] });
  function openPopup(marker) {
    sharedPopup.setLatLng(marker.getLatLng()).setContent(popup(marker)).openOn(map);
  }

  function clusterIcon(cluster) {
    var children = cluster.getAllChildMarkers(), counts = {}, total = children.length;
    for (var k = 0; k < total; k++) counts[children[k].hcCode] = (counts[children[k].hcCode] || 0) + 1;
    var stops = [], at = 0, parts = [];
    ORDER.forEach(function (c) {
      if (!counts[c]) return;
      var to = at + 360 * counts[c] / total;
      stops.push(COLOURS[c] + " " + at.toFixed(1) + "deg " + to.toFixed(1) + "deg");
      parts.push((cfg.labels[c] || c) + ": " + fmt(counts[c]));
      at = to;
    });
    var size = Math.round(30 + 7 * Math.log10(total));
    return L.divIcon({
      className: "",
      html: '<div class="hc-cluster" style="width:' + size + "px;height:" + size +
        "px;background:conic-gradient(" + stops.join(",") + ')" title="' + esc(parts.join("; ")) +
        '" role="img" aria-label="' + esc(say(S.cluster, total) + ": " + parts.join("; ")) + '"><b>' +
        (total >= 10000 ? Math.round(total / 1000) + "k" : fmt(total)) + "</b></div>",
      iconSize: [size, size]
    });
  }

  var group = L.markerClusterGroup({
    chunkedLoading: true,
    chunkInterval: 120,
    chunkDelay: 16,
    maxClusterRadius: 70,
    animate: false,
    disableClusteringAtZoom: 14,
    showCoverageOnHover: false,
    spiderfyOnMaxZoom: true,
    removeOutsideVisibleBounds: true,
    iconCreateFunction: clusterIcon,
    chunkProgress: function (done, total) {
      if (done < total) statusEl.textContent = say(S.loading, Math.round(100 * done / total));
      else { showCount(); focusStation(); }
    }
  });
  map.addLayer(group);
  group.on("click", function (ev) { openPopup(ev.layer); });  // Enter on a focused marker too

  var form = document.getElementById("filters");
  var regionSel = document.getElementById("f-region");
  var typeSel = document.getElementById("f-type");
  var boxes = form ? form.querySelectorAll('input[name="verdict"]') : [];
  var shown = 0;

  function showCount() { statusEl.textContent = say(S.shown, shown); }

  // ?station=ID (the link from a station page): zoom to that station and open its popup.
  var pendingStation = new URLSearchParams(window.location.search).get("station");
  function focusStation() {
    if (!pendingStation) return;
    var i = layer.ids.indexOf(pendingStation);
    pendingStation = null;
    if (i < 0 || !group.hasLayer(markers[i])) return;
    map.setView(markers[i].getLatLng(), Math.max(map.getZoom(), 14), { animate: false });
    group.zoomToShowLayer(markers[i], function () { openPopup(markers[i]); });
  }

  // The URL's filters win over the form's defaults (a static copy has no server to read them).
  var params = new URLSearchParams(window.location.search);
  var wantedVerdicts = params.getAll("verdict");
  if (wantedVerdicts.length) {
    Array.prototype.forEach.call(boxes, function (b) { b.checked = wantedVerdicts.indexOf(b.value) >= 0; });
  }
  if (regionSel && params.get("region") !== null) regionSel.value = params.get("region");
  if (typeSel && params.get("settlement_type") !== null) typeSel.value = params.get("settlement_type");

  function apply(fit) {
    var codes = {};
    Array.prototype.forEach.call(boxes, function (b) { if (b.checked) codes[cfg.codes[b.value]] = true; });
    var r = regionSel && regionSel.value ? layer.regions.indexOf(regionSel.value) : -1;
    var t = typeSel && typeSel.value ? layer.types.indexOf(typeSel.value) : -1;
    var keep = [];
    for (var i = 0; i < n; i++) {
      if (!codes[layer.v.charAt(i)]) continue;
      if (r >= 0 && layer.r[i] !== r) continue;
      if (t >= 0 && layer.t[i] !== t) continue;
      keep.push(markers[i]);
    }
    shown = keep.length;
    group.clearLayers();
    group.addLayers(keep);
    showCount();
    if (fit && keep.length && r >= 0) {
      map.fitBounds(L.latLngBounds(keep.map(function (m) { return m.getLatLng(); })), { padding: [20, 20], maxZoom: 12 });
    }
    try {
      var q = new URLSearchParams();
      var all = Array.prototype.every.call(boxes, function (b) { return b.checked; });
      if (!all) Array.prototype.forEach.call(boxes, function (b) { if (b.checked) q.append("verdict", b.value); });
      if (regionSel && regionSel.value) q.set("region", regionSel.value);
      if (typeSel && typeSel.value) q.set("settlement_type", typeSel.value);
      if (pendingStation) q.set("station", pendingStation);
      var s = q.toString();
      window.history.replaceState(null, "", window.location.pathname + (s ? "?" + s : ""));
    } catch (e) { /* file:// in some browsers: the filters still apply */ }
  }

  if (form) {
    form.addEventListener("submit", function (ev) { ev.preventDefault(); apply(true); });
    form.addEventListener("change", function (ev) { apply(ev.target === regionSel); });
  }
  apply(Boolean(regionSel && regionSel.value));
  window.HC_MAP = { map: map, group: group, markers: markers, outlines: { regions: regionLines, districts: districtLines, labels: districtLabels } };
})();
