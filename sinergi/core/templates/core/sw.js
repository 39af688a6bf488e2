/* Sinergi field app service worker (issue 16; sinergi/core/field.py). Version __VERSION__.
   - static files (hashed names, never change): cache first; the field pages' files are precached at install;
   - field pages: network first, the last copy seen online when there is no connection;
   - everything else: untouched (straight to the network).
   Submissions are not queued here but in the page's outbox (static/js/outbox.js), which the page sends itself. */
"use strict";
var CONFIG = {{ config|safe }};
var STATIC_CACHE = "sinergi-static-__VERSION__";
var PAGE_CACHE = "sinergi-pages";
var PATTERNS = CONFIG.patterns.map(function (p) { return new RegExp(p); });
var lastWarm = 0;

function isFieldPage(url) {
  return PATTERNS.some(function (re) { return re.test(url.pathname); });
}

function keepPage(req, res) {
  // only a page really shown to this user: not a redirect to the sign-in page, not an error
  if (!res || !res.ok || res.redirected || res.type !== "basic") return Promise.resolve();
  var copy = res.clone();
  return caches.open(PAGE_CACHE).then(function (c) { return c.put(req, copy); });
}

function warm(current) {
  // the page just opened (escort forms are per movement) and the field pages this user may open, kept ahead of
  // time (those at most every 10 minutes)
  var paths = [];
  if (current && isFieldPage(new URL(current, self.location.origin))) paths.push(current);
  if (Date.now() - lastWarm > 600000) { lastWarm = Date.now(); paths = paths.concat(CONFIG.pages); }
  return Promise.all(paths.map(function (path) {
    var req = new Request(path, { credentials: "same-origin" });
    return fetch(req).then(function (res) { return keepPage(req, res); }).catch(function () {});
  }));
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC_CACHE)
    .then(function (c) { return c.addAll(CONFIG.assets); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) {
      return n.indexOf("sinergi-static-") === 0 && n !== STATIC_CACHE;
    }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("message", function (event) {
  var msg = event.data || {};
  if (msg.type === "warm") event.waitUntil(warm(msg.url));
  if (msg.type === "forget") event.waitUntil(caches.delete(PAGE_CACHE));  // signed out: no pages of this user
});

var OFFLINE = "<!DOCTYPE html><html lang=\"id\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" " +
  "content=\"width=device-width, initial-scale=1\"><title>Sinergi</title></head><body><h1>Tanpa sinyal</h1>" +
  "<p>Halaman ini belum tersimpan di ponsel. Buka sekali saat ada sinyal. / This page is not kept on the " +
  "phone yet: open it once while online.</p></body></html>";

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf(CONFIG.static) === 0) {
    event.respondWith(caches.match(req).then(function (hit) {
      return hit || fetch(req).then(function (res) {
        if (res.ok && /\.[0-9a-f]{12}\./.test(url.pathname)) {
          var copy = res.clone();
          caches.open(STATIC_CACHE).then(function (c) { c.put(req, copy); });
        }
        return res;
      });
    }));
    return;
  }
  if (req.mode === "navigate" && isFieldPage(url)) {
    event.respondWith(fetch(req).then(function (res) {
      event.waitUntil(keepPage(req, res));
      return res;
    }).catch(function () {
      return caches.match(req).then(function (hit) {
        return hit || caches.match(req, { ignoreSearch: true });
      }).then(function (hit) {
        return hit || new Response(OFFLINE, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
      });
    }));
  }
});

// Web Push (sinergi/messaging/webpush.py): the payload is only a short notice {title, url, tag} — the message
// itself stays in the app; a click opens (or focuses) the inbox item /pesan/<id>/.
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  var url = (typeof data.url === "string" && data.url.indexOf("/pesan/") === 0) ? data.url : "/pesan/";
  event.waitUntil(self.registration.showNotification(data.title || "Pesan baru", {
    body: "Sinergi", tag: data.tag || "pesan", data: { url: url }, renotify: true
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/pesan/";
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
    for (var i = 0; i < list.length; i++) {
      if (new URL(list[i].url).pathname === url && "focus" in list[i]) return list[i].focus();
    }
    return self.clients.openWindow(url);
  }));
});
