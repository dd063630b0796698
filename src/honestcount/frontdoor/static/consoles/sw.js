/* Keeps the observer console (page, scripts, the election's violation codes) for offline use,
   network first: an observer who reloads without a connection still has the queue. */
"use strict";
var CACHE = "hc-observe-1";
var SHELL = ["/consoles/common.js", "/consoles/observe.js", "/consoles/console.css"];
function kept(url) {
  return url.origin === self.location.origin && (url.pathname === "/observe" ||
    url.pathname.indexOf("/consoles/") === 0 || url.pathname.indexOf("/api/v1/elections/") === 0);
}
self.addEventListener("install", function (e) {
  e.waitUntil(self.clients.matchAll({ includeUncontrolled: true, type: "window" })
    .then(function (list) {
      var pages = list.map(function (w) { return w.url; })
        .filter(function (u) { return new URL(u).pathname === "/observe"; });
      return caches.open(CACHE).then(function (c) { return c.addAll(SHELL.concat(pages)); });
    }).then(function () { return self.skipWaiting(); }));
});
self.addEventListener("activate", function (e) { e.waitUntil(self.clients.claim()); });
self.addEventListener("fetch", function (e) {
  var url = new URL(e.request.url);
  if (e.request.method !== "GET" || !kept(url)) { return; }
  e.respondWith(fetch(e.request).then(function (r) {
    if (r.ok) {
      var copy = r.clone();
      caches.open(CACHE).then(function (c) { c.put(e.request, copy); });
    }
    return r;
  }).catch(function () {
    return caches.match(e.request).then(function (r) { return r || Response.error(); });
  }));
});
