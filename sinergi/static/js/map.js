/* Sinergi map: own boundaries as the base layer (no tiles), TPS pre-clustered by the server per zoom, estimated points marked. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || typeof L === "undefined") { return; }
  var d = el.dataset;
  var statusEl = document.getElementById("map-status");
  function status(text) { if (statusEl) { statusEl.textContent = text; } }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }
  function fmt(n) { return Number(n).toLocaleString(document.documentElement.lang || "id"); }
  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; }); }

  var map = L.map(el, { preferCanvas: false, zoomSnap: 0.5, minZoom: 4, maxZoom: 18, attributionControl: true });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("idn-area-data (ODbL) · cahyadsn (MIT)");
  map.setView([-8.9, 121.5], 7);
  L.control.scale({ imperial: false }).addTo(map);

  var regencyStyle = { color: "#2c5282", weight: 1.6, fillColor: "#f7f3e8", fillOpacity: 0.9 };
  var districtStyle = { color: "#718096", weight: 0.8, dashArray: "4 3", fill: false };
  var districtZoom = parseFloat(d.districtZoom || "10");

  function regionPopup(feature) {
    var p = feature.properties;
    return "<strong>" + esc(p.name) + "</strong><br><code>" + esc(p.code) + "</code><br>" +
      fmt(p.tps) + " " + esc(d.tTps) + " · " + fmt(p.voters) + " " + esc(d.tVoters) + "<br>" +
      '<a href="' + d.regionUrl.replace("CODE", encodeURIComponent(p.code)) + '">' + esc(d.tOpen) + " →</a>";
  }

  var regencies = L.geoJSON(null, {
    style: regencyStyle,
    onEachFeature: function (f, layer) {
      layer.bindTooltip(f.properties.name, { sticky: true });
      layer.bindPopup(function () { return regionPopup(f); });
    }
  }).addTo(map);
  var districts = L.geoJSON(null, {
    style: districtStyle,
    onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name, { sticky: true }); }
  });
  var loadedParents = {};

  function loadDistricts() {
    if (map.getZoom() < districtZoom) {
      if (map.hasLayer(districts)) { map.removeLayer(districts); }
      return;
    }
    if (!map.hasLayer(districts)) { districts.addTo(map); }
    var view = map.getBounds();
    regencies.eachLayer(function (layer) {
      var code = layer.feature.properties.code;
      if (loadedParents[code] || !view.intersects(layer.getBounds())) { return; }
      loadedParents[code] = true;
      getJSON(d.boundariesUrl + "?parent=" + encodeURIComponent(code))
        .then(function (fc) { districts.addData(fc); })
        .catch(function () { loadedParents[code] = false; });
    });
  }
  map.on("zoomend moveend", loadDistricts);

  // TPS points come pre-clustered by the server for each zoom (issue 16: no clustering of every TPS in the
  // browser); only the items in view are drawn.
  var tpsLayer = L.layerGroup().addTo(map);

  // TPS points get their own pane above the boundaries, so a polygon loaded later never covers them.
  map.createPane("tps");
  map.getPane("tps").style.zIndex = 450;
  var tpsRenderer = L.svg({ pane: "tps" });
  var surveyed = { pane: "tps", renderer: tpsRenderer, radius: 6, color: "#ffffff", weight: 1.5, fillColor: "#2b6cb0", fillOpacity: 0.95 };
  var estimated = { pane: "tps", renderer: tpsRenderer, radius: 6, color: "#c05621", weight: 2, dashArray: "3 3", fillColor: "#ffffff", fillOpacity: 0.6 };
  // The popup's content is fetched on the first click (the points payload stays compact), then kept.
  function openTpsPopup(e) {
    var marker = e.target;
    if (marker.getPopup()) { return; }
    fetch(d.popupUrl.replace("/0/", "/" + marker.options.tpsId + "/"), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .catch(function () { return esc(d.tFailed); })
      .then(function (html) { marker.bindPopup(html, { maxWidth: 300 }).openPopup(); });
  }

  function fitFromHash() {
    var m = /^#(-?[\d.]+),(-?[\d.]+),(\d+(?:\.\d+)?)$/.exec(window.location.hash);
    if (m) { map.setView([parseFloat(m[1]), parseFloat(m[2])], parseFloat(m[3])); return true; }
    return false;
  }

  status(d.tLoading);
  var hashView = fitFromHash();
  var bRequest = getJSON(d.regenciesUrl).then(function (fc) {
    regencies.addData(fc);
    if (!hashView && fc.features.length) { map.fitBounds(regencies.getBounds(), { padding: [10, 10], animate: false }); }
    el.dataset.boundaries = String(fc.features.length);
    loadDistricts();
  });
  var byZoom = {};
  function clusterIcon(n) {
    var size = n < 10 ? "small" : n < 100 ? "medium" : "large";
    return L.divIcon({ html: "<div><span>" + n + "</span></div>", className: "marker-cluster marker-cluster-" + size,
                       iconSize: L.point(40, 40) });
  }
  function draw(data) {
    tpsLayer.clearLayers();
    var view = map.getBounds().pad(0.3);
    data.items.forEach(function (r) {
      var ll = L.latLng(r[0], r[1]);
      if (!view.contains(ll)) { return; }
      if (r[2] === 1) {
        var m = L.circleMarker(ll, L.extend({ tpsId: r[3] }, r[4] === 1 ? estimated : surveyed));
        m.on("click", openTpsPopup);
        tpsLayer.addLayer(m);
      } else {
        var c = L.marker(ll, { icon: clusterIcon(r[2]), title: String(r[2]) });
        c.on("click", function () { map.setView(ll, Math.min(map.getMaxZoom(), Math.floor(map.getZoom()) + 2)); });
        tpsLayer.addLayer(c);
      }
    });
  }
  function loadTps() {
    var z = Math.max(0, Math.min(18, Math.floor(map.getZoom())));
    if (!byZoom[z]) { byZoom[z] = getJSON(d.tpsUrl + "?z=" + z); }
    return byZoom[z].then(function (data) { if (Math.floor(map.getZoom()) === z) { draw(data); } return data; });
  }
  loadTps().catch(function () {});  // fetched at the first view's zoom, next to the boundaries
  var tRequest = bRequest.catch(function () {}).then(loadTps).then(function (data) {
    map.on("zoomend moveend", function () { loadTps().catch(function () {}); });
    el.dataset.points = String(data.total);
    return [data.total, data.estimated];
  });
  Promise.all([bRequest, tRequest]).then(function (res) {
    var n = res[1][0], nEst = res[1][1];
    status(fmt(n) + " " + d.tPoints + (nEst ? " (" + fmt(nEst) + " " + d.tEstimated + ")" : ""));
    el.dataset.ready = "1";
  }).catch(function () { status(d.tFailed); el.dataset.ready = "error"; });
})();
