// Command dashboard: reloads its scoped JSON on a WebSocket event (/ws/operasi/) and every 5 s as a fallback;
// the TPS map (clustered, coloured by status) reloads every 30 s or when the counters change.
(function () {
  var root = document.getElementById("ops");
  if (!root) return;
  var T = JSON.parse(document.getElementById("ops-i18n").textContent);
  var csrf = (document.body.getAttribute("hx-headers") || "").match(/"X-CSRFToken": "([^"]+)"/);
  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; }); }
  function set(id, v) { var el = root.querySelector("[data-testid=" + id + "]"); if (el) el.textContent = v; }
  function pct(a, b) { return b ? (100 * a / b).toFixed(1) : "0.0"; }
  var lastSig = null;
  function render(d) {
    var t = d.totals || {};
    set("count-tps", t.tps_total || 0); set("count-opened", t.opened || 0); set("count-closed", t.closed || 0);
    set("count-counted", t.counted || 0); set("count-handed_over", t.handed_over || 0);
    set("count-problems", t.problems || 0); set("count-missing", t.missing || 0);
    var body = root.querySelector("[data-testid=coverage] tbody");
    if (body) {
      body.innerHTML = (d.coverage || []).map(function (r) {
        return "<tr data-unit='" + esc(r.unit_code) + "'><td>" + esc(r.unit_name) + "</td><td>" + r.tps_total + "</td><td data-col='opened'>" + r.opened +
          "</td><td data-col='closed'>" + r.closed + "</td><td data-col='handed_over'>" + r.handed_over + "</td><td data-col='problems'>" + r.problems +
          "</td><td data-col='missing'>" + r.missing + "</td><td>" + pct(r.opened, r.tps_total) + "</td></tr>";
      }).join("") || "<tr><td colspan='8' class='muted'>" + esc(T.none) + "</td></tr>";
    }
    set("alerts-open", d.alerts_open || 0);
    var al = root.querySelector("[data-testid=alerts]");
    if (al) {
      var canAck = root.dataset.canAck === "1";
      al.innerHTML = (d.alerts || []).map(function (a) {
        return "<li data-alert='" + a.id + "'><span class='sev" + a.severity + "'>" + esc(a.kind) + "</span> · " + esc(a.message) +
          "<small class='muted' style='display:block'>" + esc(a.unit) + " · " + esc(a.raised_at) + (a.acknowledged ? " · " + esc(T.acked) : "") + "</small>" +
          (canAck && !a.acknowledged ? "<button class='btn-link' data-ack='" + a.id + "'>" + esc(T.ack) + "</button>" : "") + "</li>";
      }).join("") || "<li class='muted'>" + esc(T.no_alerts) + "</li>";
    }
    var es = root.querySelector("[data-testid=escorts]");
    if (es) {
      var e = d.escorts;
      if (!e) { es.innerHTML = "<p class='muted'>" + esc(T.none) + "</p>"; }
      else {
        var list = (e.delayed_list || []).map(function (x) { return "<li class='sev3'>" + esc(x.label) + " · " + esc(T.delayed) + "</li>"; })
          .concat((e.in_motion_list || []).slice(0, 10).map(function (x) {
            return "<li>" + esc(x.label) + " · " + esc(x.mode) + " · " + esc(T.eta) + " " + esc(String(x.expected_at || "").slice(11, 16)) + "</li>"; }));
        es.innerHTML = "<p>" + esc(T.planned) + " " + (e.planned || 0) + " · " + esc(T.in_motion) + " <strong data-testid='escorts-in-motion'>" + (e.in_motion || 0) +
          "</strong> · " + esc(T.delayed) + " <strong>" + (e.delayed || 0) + "</strong> · " + esc(T.arrived) + " " + (e.arrived || 0) + "</p><ul class='plain'>" + list.join("") + "</ul>";
      }
    }
    var inc = root.querySelector("[data-testid=incidents]");
    if (inc) {
      inc.innerHTML = (d.incidents || []).map(function (i) {
        return "<li><a href='/insiden/" + i.id + "/'>#" + i.id + "</a> <span class='sev" + i.severity + "'>" + esc(i.category) + "</span> " + esc(i.title) +
          "<small class='muted' style='display:block'>" + esc(i.status) + " · " + esc(i.at) + "</small></li>";
      }).join("") || "<li class='muted'>" + esc(T.no_incidents) + "</li>";
    }
    var sig = [t.opened, t.voting, t.closed, t.counted, t.handed_over, t.problems].join(",");
    if (sig !== lastSig) { lastSig = sig; loadMap(); }
    root.setAttribute("data-loaded", String(Date.now()));
  }
  function load() {
    fetch(root.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; }).then(function (d) { if (d) render(d); })
      .catch(function (e) { if (window.console) console.warn("ops data", e); });
  }
  root.addEventListener("click", function (ev) {
    var id = ev.target && ev.target.getAttribute("data-ack");
    if (!id) return;
    fetch(root.dataset.ackUrl.replace("/0/", "/" + id + "/"), { method: "POST", credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf ? csrf[1] : "" } }).then(load);
  });
  // the map
  var mapEl = document.getElementById("ops-map"), map = null, cluster = null;
  var colors = { "": "#a0aec0", opened: "#3182ce", voting: "#3182ce", closed: "#805ad5", counted: "#805ad5", handed_over: "#38a169" };
  function loadMap() {
    if (!mapEl || !window.L) return;
    if (!map) {
      map = L.map(mapEl, { preferCanvas: true, maxZoom: 18, minZoom: 4 }).setView([-9.5, 122.5], 7);
      cluster = L.markerClusterGroup ? L.markerClusterGroup({ chunkedLoading: true, disableClusteringAtZoom: 13 }) : L.layerGroup();
      map.addLayer(cluster);
      if (root.dataset.boundariesUrl) {
        fetch(root.dataset.boundariesUrl, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
          .then(function (g) { if (g) L.geoJSON(g, { style: { color: "#2c5282", weight: 1, fillOpacity: 0.04 }, interactive: false }).addTo(map); })
          .catch(function () {});
      }
    }
    fetch(root.dataset.mapUrl, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; }).then(function (d) {
      if (!d) return;
      cluster.clearLayers();
      var markers = [], bounds = [];
      d.points.forEach(function (p) {
        var color = p[4] > 0 ? "#c53030" : (colors[p[3]] || "#a0aec0");
        markers.push(L.circleMarker([p[1], p[2]], { radius: 5, color: color, weight: 1, fillOpacity: 0.8 })
          .bindPopup("TPS " + esc(p[6]) + (p[3] ? " · " + esc(p[3]) : "") + (p[4] ? " · " + p[4] + " !" : "")));
        bounds.push([p[1], p[2]]);
      });
      if (cluster.addLayers) cluster.addLayers(markers); else markers.forEach(function (m) { cluster.addLayer(m); });
      if (!mapEl.dataset.fitted && bounds.length) { map.fitBounds(bounds); mapEl.dataset.fitted = "1"; }
      mapEl.setAttribute("data-points", String(d.points.length));
      mapEl.setAttribute("data-reported", String(d.points.filter(function (p) { return p[3]; }).length));
    }).catch(function (e) { if (window.console) console.warn("ops map", e); });
  }
  load();
  setInterval(load, 5000);
  setInterval(loadMap, 30000);
  var status = document.getElementById("ops-live");
  try {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/operasi/");
    var timer = null;
    ws.onopen = function () { status.textContent = "● live"; };
    ws.onmessage = function () { clearTimeout(timer); timer = setTimeout(load, 300); };
  } catch (e) { /* polling keeps the page current */ }
})();
