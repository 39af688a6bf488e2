/* Sinergi map: own boundaries as the base layer (no tiles), TPS clustered, estimated points marked. */
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

  var clusters = L.markerClusterGroup({
    chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 50, disableClusteringAtZoom: 17
  });
  map.addLayer(clusters);

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
    if (!hashView && fc.features.length) { map.fitBounds(regencies.getBounds(), { padding: [10, 10] }); }
    el.dataset.boundaries = String(fc.features.length);
    loadDistricts();
  });
  var tRequest = getJSON(d.tpsUrl).then(function (rows) {
    var markers = new Array(rows.length), nEst = 0;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var est = r[4] === 1;
      if (est) { nEst++; }
      var m = L.circleMarker([r[1], r[2]], L.extend({ tpsId: r[0], voters: r[3] }, est ? estimated : surveyed));
      m.on("click", openTpsPopup);
      markers[i] = m;
    }
    clusters.addLayers(markers);
    el.dataset.points = String(rows.length);
    return [rows.length, nEst];
  });
  Promise.all([bRequest, tRequest]).then(function (res) {
    var n = res[1][0], nEst = res[1][1];
    status(fmt(n) + " " + d.tPoints + (nEst ? " (" + fmt(nEst) + " " + d.tEstimated + ")" : ""));
    el.dataset.ready = "1";
  }).catch(function () { status(d.tFailed); el.dataset.ready = "error"; });
})();
