// Escorts in motion: legs as lines (sea legs dashed), the escort's position as a point. Reloads every 30 s.
(function () {
  var el = document.getElementById("lg-map");
  if (!el || !window.L) return;
  var map = L.map(el).setView([-9.5, 122.5], 7);  // SVG: few lines, each inspectable
  var layer = L.layerGroup().addTo(map);
  var colors = { delayed: "#c53030", in_transit: "#2b6cb0", arrived: "#2f855a", handed_over: "#2f855a", planned: "#718096" };
  fetch(el.dataset.boundariesUrl, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
    .then(function (g) { if (g) L.geoJSON(g, { style: { color: "#2c5282", weight: 1, fillOpacity: 0.05 } }).addTo(map); })
    .catch(function () {});
  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }
  function load() {
    fetch(el.dataset.mapUrl, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (g) {
      layer.clearLayers();
      var points = 0;
      (g.features || []).forEach(function (f) {
        var p = f.properties;
        if (f.geometry.type === "LineString") {
          var ll = f.geometry.coordinates.map(function (c) { return [c[1], c[0]]; });
          L.polyline(ll, { color: p.mode === "sea" ? "#2b6cb0" : "#4a5568", weight: 3, opacity: p.done ? 0.4 : 0.9,
                           dashArray: p.mode === "sea" ? "6 6" : null, className: "leg-" + p.mode }).addTo(layer);
        } else {
          points += 1;
          L.circleMarker([f.geometry.coordinates[1], f.geometry.coordinates[0]],
                         { radius: 7, color: colors[p.status] || "#333", weight: 2, fillOpacity: 0.7 })
            .bindPopup("<a href='" + esc(p.url) + "'>" + esc(p.label) + "</a><br>" + esc(p.status_label) + " · " +
                       esc(p.escort) + "<br>perkiraan tiba " + esc(p.expected_at) + " WITA").addTo(layer);
        }
      });
      el.setAttribute("data-points", String(points));
    }).catch(function () {});
  }
  load();
  setInterval(load, 30000);
  // Live: the operations socket sends {"kind": "escort", "id": ...} when a movement changes; reload the data.
  var pending = null;
  function soon() { if (!pending) pending = setTimeout(function () { pending = null; load(); }, 1000); }
  try {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/operasi/");
    ws.onmessage = function (e) { try { if (JSON.parse(e.data).kind === "escort") soon(); } catch (err) {} };
  } catch (err) {}
})();
