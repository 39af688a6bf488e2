// status_counts.html: moved out of the template (the Content-Security-Policy allows no inline script).
(function () {
  var box = document.getElementById("status-panel");
  var mapEl = document.getElementById("status-map");
  var map = L.map(mapEl).setView([-9.5, 122.5], 6);
  var layer = L.layerGroup().addTo(map);
  function colour(p) { return p[3] ? "#2f855a" : p[4] ? "#2b6cb0" : (p[5] || p[6]) ? "#dd6b20" : "#718096"; }
  function loadPoints() {
    fetch(mapEl.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
      layer.clearLayers();
      d.points.forEach(function (p) {
        var total = p[3] + p[4] + p[5] + p[6] + p[7];
        L.circleMarker([p[0], p[1]], {radius: 4 + Math.min(10, Math.sqrt(total)), color: colour(p), weight: 1, fillOpacity: 0.7})
          .bindTooltip(p[2] + ": " + p[3] + " / " + p[4] + " / " + (p[5] + p[6]) + " / " + p[7]).addTo(layer);
      });
      mapEl.setAttribute("data-points", String(d.points.length));
    });
  }
  function reload() { loadPoints(); fetch(box.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.text(); }).then(function (t) { box.innerHTML = t; }); }
  loadPoints();
  try {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/operasi/");
    ws.onmessage = function (e) { try { if (JSON.parse(e.data).kind === "unit_status") { reload(); } } catch (x) {} };
  } catch (x) {}
  setInterval(reload, 30000);
})();
