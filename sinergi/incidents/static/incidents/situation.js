// Situation room: Leaflet map of incidents + feed. Live via WebSocket (/ws/insiden/, sinergi/static/js/live.js);
// while not live the feed is polled every 4 s (the status says so), so nothing needs a reload.
(function () {
  var el = document.getElementById("sr-map");
  if (!el || !window.L) return;
  var map = L.map(el, { preferCanvas: true }).setView([-9.5, 122.5], 7);
  var layer = L.layerGroup().addTo(map);
  var colors = { 1: "#3182ce", 2: "#d69e2e", 3: "#dd6b20", 4: "#c53030" };
  fetch(el.dataset.boundariesUrl, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
    .then(function (g) { if (g) L.geoJSON(g, { style: { color: "#2c5282", weight: 1, fillOpacity: 0.05 } }).addTo(map); })
    .catch(function () {});
  function params() {
    var f = document.getElementById("sr-filters");
    return new URLSearchParams(new FormData(f)).toString();
  }
  function loadPoints() {
    fetch(el.dataset.mapUrl + "?limit=2000&" + params(), { credentials: "same-origin" })
      .then(function (r) { return r.json(); }).then(function (d) {
        layer.clearLayers();
        (d.points || []).forEach(function (p) {
          L.circleMarker([p[1], p[2]], { radius: 4 + p[4] * 2, color: colors[p[4]] || "#333", weight: 2, fillOpacity: 0.6 })
            .bindPopup("<a href='../" + p[0] + "/'>#" + p[0] + "</a> " + String(p[6]).replace(/</g, "&lt;")).addTo(layer);
        });
        el.setAttribute("data-points", String((d.points || []).length));
      }).catch(function () {});
  }
  function refresh() { document.body.dispatchEvent(new Event("sr-refresh")); loadPoints(); }
  document.getElementById("sr-filters").addEventListener("change", refresh);
  loadPoints();
  // The feed refreshes (WebSocket event or polling): redraw the points when the newest incident changed.
  var newest = null;
  document.body.addEventListener("htmx:afterSwap", function (e) {
    if (!e.target || e.target.id !== "sr-feed") return;
    var first = document.querySelector("#feed-list li[data-id]");
    var id = first ? first.getAttribute("data-id") : null;
    if (id !== newest) { newest = id; loadPoints(); }
  });
  setInterval(loadPoints, 30000);
  // Live: a scoped event reloads the feed; while not live the feed is polled every 4 s and the page says so.
  var timer = null;
  window.SinergiLive({ path: "/ws/insiden/", status: document.getElementById("sr-live"), pollMs: 4000,
    poll: function () { document.body.dispatchEvent(new Event("sr-refresh")); },
    onEvent: function () { clearTimeout(timer); timer = setTimeout(refresh, 200); } });
})();
