/* Small map on the TPS page: the point (dashed when estimated) over the kecamatan's desa boundaries. */
(function () {
  "use strict";
  var el = document.getElementById("tps-map");
  if (!el || typeof L === "undefined") { return; }
  var lat = parseFloat(el.dataset.lat), lng = parseFloat(el.dataset.lng);
  var est = el.dataset.estimated === "1";
  var map = L.map(el, { attributionControl: false }).setView([lat, lng], 13);
  L.control.scale({ imperial: false }).addTo(map);
  L.circleMarker([lat, lng], est
    ? { radius: 9, color: "#c05621", weight: 2.5, dashArray: "4 3", fillColor: "#fff", fillOpacity: 0.7 }
    : { radius: 8, color: "#fff", weight: 2, fillColor: "#2b6cb0", fillOpacity: 0.95 }).addTo(map);
  fetch(el.dataset.boundaries, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (fc) {
      L.geoJSON(fc, {
        style: { color: "#2c5282", weight: 1.2, fillColor: "#f7f3e8", fillOpacity: 0.8 },
        onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name); }
      }).addTo(map).bringToBack();
    })
    .catch(function () { /* the point alone still shows */ });
})();
