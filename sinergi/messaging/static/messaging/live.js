// Live counters of the messaging pages: [data-msg-live data-url] is refreshed from its JSON URL when the
// WebSocket /ws/pesan/ announces an event for this user, and every 5 s as a fallback (the page says which).
(function () {
  "use strict";
  var box = document.querySelector("[data-msg-live]");
  if (!box) { return; }
  var url = box.getAttribute("data-url");
  var reloadOn = box.getAttribute("data-reload-on");
  var swap = box.getAttribute("data-swap");
  // replace one part of the page (the per-recipient table) with the same part of a fresh copy of the page
  function swapPart(selector) {
    fetch(window.location.href, {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (text) {
        if (!text) { return; }
        var fresh = new DOMParser().parseFromString(text, "text/html").querySelector(selector);
        var old = document.querySelector(selector);
        if (fresh && old) { old.replaceWith(fresh); }
      })
      .catch(function () { /* offline */ });
  }
  var status = document.querySelector("[data-testid=live-status]");
  function refresh() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var changed = false;
        Object.keys(data).forEach(function (k) {
          document.querySelectorAll("[data-count='" + k + "']").forEach(function (el) {
            if (el.textContent.trim() !== String(data[k])) { el.textContent = String(data[k]); changed = true; }
          });
        });
        if (changed && reloadOn && data[reloadOn] !== undefined) { window.location.reload(); }
        if (changed && swap) { swapPart(swap); }
      })
      .catch(function () { /* offline: try again later */ });
  }
  try {
    var proto = window.location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(proto + window.location.host + "/ws/pesan/");
    ws.onopen = function () { if (status) { status.setAttribute("data-state", "live"); } };
    ws.onmessage = function () { refresh(); };
  } catch (e) { /* no WebSocket: polling only */ }
  setInterval(refresh, 5000);
})();
