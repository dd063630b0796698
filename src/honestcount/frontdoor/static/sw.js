/* Keeps the voter app's page, script and station list for offline use (network first). */
"use strict";
var CACHE = "hc-vote-1";
var SHELL = ["/vote/app.js", "/vote/app.css", "/vote/manifest.webmanifest"];
self.addEventListener("install", function (e) {
  // the open pages of the app too: they were loaded before this worker existed
  e.waitUntil(self.clients.matchAll({ includeUncontrolled: true, type: "window" })
    .then(function (list) {
      var pages = list.map(function (w) { return w.url; }).filter(function (u) {
        return new URL(u).pathname.indexOf("/vote/") === 0;
      });
      return caches.open(CACHE).then(function (c) { return c.addAll(SHELL.concat(pages)); });
    }).then(function () { return self.skipWaiting(); }));
});
self.addEventListener("activate", function (e) { e.waitUntil(self.clients.claim()); });
self.addEventListener("fetch", function (e) {
  var url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.origin !== self.location.origin ||
      url.pathname.indexOf("/vote/") !== 0) { return; }
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
