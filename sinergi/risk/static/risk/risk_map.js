/* Risk map: regencies (kecamatan when zoomed in) coloured by region tier, TPS coloured by TPS tier. */
(function () {
  "use strict";
  var el = document.getElementById("risk-map");
  if (!el || typeof L === "undefined") { return; }
  var d = el.dataset;
  var statusEl = document.getElementById("risk-status");
  function status(t) { if (statusEl) { statusEl.textContent = t; } }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }
  var REGION = { rendah: "#c6f6d5", sedang: "#fbd38d", tinggi: "#feb2b2" };
  var TPS = ["#2f855a", "#dd6b20", "#c53030"];
  var tierNames = [d.tTier0, d.tTier1, d.tTier2];
  var map = L.map(el, { zoomSnap: 0.5, minZoom: 4, maxZoom: 18, preferCanvas: true });
  el.leafletMap = map;  // for tests and other scripts on the page
  map.attributionControl.setPrefix(false);
  map.setView([-8.9, 121.5], 7);
  function style(f) {
    return { color: "#2c5282", weight: 1.2, fillColor: REGION[f.properties.tier] || "#edf2f7", fillOpacity: 0.7 };
  }
  function bind(f, layer) {
    var p = f.properties;
    layer.bindTooltip(p.name + " — " + (p.tier || d.tNone) + (p.score != null ? " (" + p.score.toFixed(1) + ")" : "") +
      " · " + p.n_sangat_rawan + " / " + p.n_rawan + " / " + p.n_kurang_rawan, { sticky: true });
  }
  var regencies = L.geoJSON(null, { style: style, onEachFeature: bind }).addTo(map);
  var districts = L.geoJSON(null, { style: style, onEachFeature: bind });
  var loaded = {};
  map.on("zoomend moveend", function () {
    if (map.getZoom() < 9) { if (map.hasLayer(districts)) { map.removeLayer(districts); } return; }
    if (!map.hasLayer(districts)) { districts.addTo(map); }
    var view = map.getBounds();
    regencies.eachLayer(function (layer) {
      var code = layer.feature.properties.code;
      if (loaded[code] || !view.intersects(layer.getBounds())) { return; }
      loaded[code] = true;
      getJSON(d.regionsUrl + "?parent=" + encodeURIComponent(code)).then(function (fc) { districts.addData(fc); });
    });
  });
  map.createPane("tps");
  map.getPane("tps").style.zIndex = 450;
  var renderer = L.canvas({ pane: "tps" });
  function openCard(e) {
    var m = e.target;
    fetch(d.cardUrl.replace("/0/", "/" + m.options.tpsId + "/") + "?popup=1", { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .catch(function () { return d.tFailed; })
      .then(function (html) { m.bindPopup(html, { maxWidth: 340 }).openPopup(); });
  }
  var tpsLayer = L.layerGroup().addTo(map);
  var pRegions = getJSON(d.regionsUrl).then(function (fc) {
    regencies.addData(fc);
    if (fc.features.length) { map.fitBounds(regencies.getBounds(), { padding: [10, 10] }); }
    el.dataset.regions = String(fc.features.length);
  });
  var pTps = getJSON(d.tpsUrl).then(function (rows) {
    var counts = [0, 0, 0, 0];
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i], t = r[3];
      counts[t < 0 ? 3 : t]++;
      var m = L.circleMarker([r[1], r[2]], { pane: "tps", renderer: renderer, tpsId: r[0], radius: t === 2 ? 6 : (t === 1 ? 4.5 : 3),
        color: "#ffffff", weight: 1, fillColor: t < 0 ? "#a0aec0" : TPS[t], fillOpacity: 0.95 });
      m.on("click", openCard);
      tpsLayer.addLayer(m);
    }
    el.dataset.points = String(rows.length);
    return counts;
  });
  Promise.all([pRegions, pTps]).then(function (res) {
    var c = res[1];
    status(tierNames[2] + ": " + c[2] + " · " + tierNames[1] + ": " + c[1] + " · " + tierNames[0] + ": " + c[0]);
    el.dataset.ready = "1";
  }).catch(function () { status(d.tFailed); el.dataset.ready = "error"; });
})();
