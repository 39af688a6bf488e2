// Plan map: guard-group posts (circle size = TPS in the group, colour = tier) and reserve sites. Offline:
// no tiles, just the points on a blank canvas with the regency outlines from the regions app if present.
(function () {
  var el = document.getElementById("plan-map");
  if (!el || !window.L) return;
  var map = L.map(el, {preferCanvas: true}).setView([-9.3, 122.0], 7);
  var colours = {kurang_rawan: "#2e7d32", rawan: "#f9a825", sangat_rawan: "#c62828", khusus: "#6a1b9a"};
  var status = document.querySelector("[data-testid=plan-map-status]");
  fetch(el.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
    var layer = L.featureGroup();
    d.groups.forEach(function (g) {
      L.circleMarker([g[0], g[1]], {radius: 2 + Math.sqrt(g[2]), color: colours[g[4]] || "#555", weight: 1,
        fillOpacity: 0.6}).bindPopup("K" + g[5] + ": " + g[2] + " TPS, " + g[3] + " personel, maks " + g[6] + " menit").addTo(layer);
    });
    d.reserves.forEach(function (r) {
      L.marker([r.lat, r.lng], {title: r.name}).bindPopup(r.name + " (" + r.kind + "): " + r.n + " TPS, maks " + r.max + " menit").addTo(layer);
    });
    layer.addTo(map);
    if (d.groups.length) map.fitBounds(layer.getBounds());
    if (status) status.textContent = d.groups.length + " kelompok, " + d.reserves.length + " lokasi cadangan";
    el.dataset.loaded = String(d.groups.length);
  });
})();
