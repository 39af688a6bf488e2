// Plan map: guard groups as outlines (hull of each group's TPS, coloured by tier) and posts (circle size = TPS
// in the group), BKO reinforcement routes along their path (road solid, sea legs dashed) and reserve sites.
// Offline: no tiles, just the layers on a blank canvas. Every location is estimated in the default dataset.
(function () {
  var el = document.getElementById("plan-map");
  if (!el || !window.L) return;
  var map = L.map(el, {preferCanvas: true}).setView([-9.3, 122.0], 7);
  var colours = {kurang_rawan: "#2e7d32", rawan: "#f9a825", sangat_rawan: "#c62828", khusus: "#6a1b9a"};
  var tierNames = {kurang_rawan: "kurang rawan", rawan: "rawan", sangat_rawan: "sangat rawan", khusus: "khusus"};
  var status = document.querySelector("[data-testid=plan-map-status]");
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  var posts = L.featureGroup(), outlines = L.featureGroup(), routes = L.featureGroup(), reserves = L.featureGroup();
  L.control.layers(null, {
    "Batas kelompok": outlines, "Pos kelompok": posts, "Rute BKO": routes, "Cadangan": reserves
  }, {collapsed: false}).addTo(map);
  fetch(el.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (d) {
    d.groups.forEach(function (g) {
      L.circleMarker([g[0], g[1]], {radius: 2 + Math.sqrt(g[2]), color: colours[g[4]] || "#555", weight: 1,
        fillOpacity: 0.6}).bindPopup("K" + g[5] + ": " + g[2] + " TPS, " + g[3] + " personel, maks " + g[6] +
        " menit (perkiraan)").addTo(posts);
    });
    d.reserves.forEach(function (r) {
      L.marker([r.lat, r.lng], {title: r.name}).bindPopup(esc(r.name) + " (" + esc(r.kind) + "): " + r.n +
        " TPS, maks " + r.max + " menit (perkiraan)").addTo(reserves);
    });
    var legs = 0;
    d.routes.forEach(function (rt) {
      var popup = "<strong>BKO " + rt.count + " personel</strong><br>" + esc(rt.from) + " → " + esc(rt.to) +
        "<br>" + Math.round(rt.minutes) + " menit (" + (rt.minutes / 60).toFixed(1) + " jam, perkiraan)<br>" +
        esc(rt.route);
      rt.legs.forEach(function (leg) {
        var sea = leg.mode === "laut";
        var line = L.polyline(leg.points, {color: sea ? "#1565c0" : "#37474f", weight: 1 + Math.min(4, Math.sqrt(rt.count) / 3),
          dashArray: sea ? "6 6" : null, opacity: 0.8, className: sea ? "bko-sea" : "bko-road"});
        line.bindPopup(popup + (sea ? "<br>" + esc(leg.label) + (leg.wait_h ? ", tunggu keberangkatan ±" + leg.wait_h + " jam" : "") : ""));
        line.addTo(routes);
        legs += 1;
      });
    });
    posts.addTo(map);
    reserves.addTo(map);
    routes.addTo(map);
    var all = L.featureGroup([posts, reserves]);
    if (d.groups.length) map.fitBounds(all.getBounds());
    el.dataset.routes = String(legs);
    if (status) status.textContent = d.groups.length + " kelompok, " + d.reserves.length + " lokasi cadangan, " +
      d.routes.length + " rute BKO";
    el.dataset.loaded = String(d.groups.length);
    return fetch(d.outlines_url, {credentials: "same-origin"}).then(function (r) { return r.json(); });
  }).then(function (fc) {
    if (!fc) return;
    L.geoJSON(fc, {
      style: function (f) {
        var c = colours[f.properties.tier] || "#555";
        return {color: c, weight: 1, fillColor: c, fillOpacity: 0.15};
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindPopup("<strong>Kelompok K" + p.number + "</strong> (" + esc(tierNames[p.tier] || p.tier) + ")<br>" +
          esc(p.polres) + " · " + esc(p.polsek) + "<br>" + p.tps + " TPS · " + p.officers + " personel · " +
          p.linmas + " Linmas<br>maks " + p.max_min + " menit ke pos" + (p.estimated ? " (lokasi TPS perkiraan)" : ""));
      }
    }).addTo(outlines);
    outlines.addTo(map);
    outlines.bringToBack();
    el.dataset.outlines = String(fc.features.length);
  });
})();
