// Command dashboard: reloads its scoped JSON on a live event (/ws/operasi/, sinergi/static/js/live.js) or, while
// not live, every 5 s (the page says which). Alerts come grouped by Polres and kind (most severe, then newest
// first); a group opens into pages of 50 with bulk acknowledge / assign. The TPS map is loaded once, then only
// the TPS that changed (`?since=<cursor>`). Officer status: one marker per unit and counts per Polres (loadUnits).
(function () {
  var root = document.getElementById("ops");
  if (!root) return;
  var T = JSON.parse(document.getElementById("ops-i18n").textContent);
  var csrf = (document.body.getAttribute("hx-headers") || "").match(/"X-CSRFToken": "([^"]+)"/);
  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; }); }
  function set(id, v) { var el = root.querySelector("[data-testid=" + id + "]"); if (el) el.textContent = v; }
  function pct(a, b) { return b ? (100 * a / b).toFixed(1) : "0.0"; }
  var assignSel = root.querySelector("[data-testid=assign-unit]");
  function alertItem(a) {
    var canAck = root.dataset.canAck === "1";
    return "<li data-alert='" + a.id + "'><span class='sev" + a.severity + "'>" + esc(a.kind) + "</span> · " + esc(a.message) +
      "<small class='muted' style='display:block'>" + esc(a.unit) + " · " + esc(a.raised_at) + (a.acknowledged ? " · " + esc(T.acked) : "") +
      (a.assigned ? " · " + esc(T.assigned) + " " + esc(a.assigned) : "") + "</small>" +
      (canAck && !a.acknowledged ? "<button class='btn-link' data-ack='" + a.id + "'>" + esc(T.ack) + "</button>" : "") + "</li>";
  }
  function groupRow(key) { return root.querySelector("tr.group[data-group='" + key + "']"); }
  function showGroup(key, page) {
    var tr = groupRow(key);
    if (!tr) return;
    var next = tr.nextElementSibling;
    if (next && next.classList.contains("detail")) next.remove();
    tr.setAttribute("data-open", "1"); tr.dataset.page = String(page);
    var q = "?unit=" + encodeURIComponent(tr.dataset.unit) + "&kind=" + encodeURIComponent(tr.dataset.kind) + "&page=" + page;
    fetch(root.dataset.alertsUrl + q, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; }).then(function (d) {
        if (!d || !tr.isConnected) return;
        var row = document.createElement("tr"); row.className = "detail"; row.setAttribute("data-testid", "alert-detail");
        var pages = Math.max(1, Math.ceil(d.total / d.per_page));
        row.innerHTML = "<td colspan='7'><ul class='plain'>" + d.alerts.map(alertItem).join("") + "</ul><small class='muted'>" + page + " " + esc(T.of) + " " + pages +
          "</small> " + (page < pages ? "<button class='btn-link' data-page='" + (page + 1) + "' data-group-page='" + esc(key) + "'>" + esc(T.more) + "</button>" : "") +
          " <button class='btn-link' data-hide='" + esc(key) + "'>" + esc(T.hide) + "</button></td>";
        tr.after(row);
      });
  }
  function bulk(body) {
    var fd = new URLSearchParams(body);
    return fetch(root.dataset.bulkUrl, { method: "POST", credentials: "same-origin", body: fd,
      headers: { Accept: "application/json", "X-CSRFToken": csrf ? csrf[1] : "" } }).then(function (r) { return r.json(); })
      .then(function (d) { root.setAttribute("data-bulk", JSON.stringify(d)); load(); });
  }
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
    var canAck = root.dataset.canAck === "1";
    var al = root.querySelector("[data-testid=alerts]");
    if (al) {
      al.innerHTML = (d.alerts || []).map(alertItem).join("") || "<li class='muted'>" + esc(T.no_alerts) + "</li>";
    }
    var gb = root.querySelector("[data-testid=alert-groups] tbody");
    if (gb) {
      var open = {};
      gb.querySelectorAll("tr.group[data-open]").forEach(function (tr) { open[tr.dataset.group] = tr.dataset.page || "1"; });
      gb.innerHTML = (d.alert_groups || []).map(function (g) {
        var key = g.unit_id + ":" + g.kind;
        return "<tr class='group' data-group='" + esc(key) + "' data-unit='" + g.unit_id + "' data-kind='" + esc(g.kind) + "'><td>" + esc(g.unit || "–") +
          "</td><td><span class='sev" + g.severity + "'>" + esc(g.kind_label) + "</span></td><td data-col='count'>" + g.count + "</td><td>" + g.unacked +
          "</td><td>" + g.severity + "</td><td>" + esc(g.newest) + "</td><td><button class='btn-link' data-show='" + esc(key) + "'>" + esc(T.show) + "</button>" +
          (canAck && g.unacked ? " <button class='btn-link' data-ack-group='" + esc(key) + "'>" + esc(T.ack_all) + "</button>" : "") +
          (canAck && assignSel ? " <button class='btn-link' data-assign-group='" + esc(key) + "'>" + esc(T.assign) + "</button>" : "") + "</td></tr>";
      }).join("") || "<tr><td colspan='7' class='muted'>" + esc(T.no_groups) + "</td></tr>";
      Object.keys(open).forEach(function (key) { showGroup(key, parseInt(open[key], 10)); });
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
    var t = ev.target;
    if (!t || !t.getAttribute) return;
    var id = t.getAttribute("data-ack");
    if (id) {
      fetch(root.dataset.ackUrl.replace("/0/", "/" + id + "/"), { method: "POST", credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrf ? csrf[1] : "" } }).then(load);
      return;
    }
    var key = t.getAttribute("data-show");
    if (key) { var tr = groupRow(key); if (tr && tr.getAttribute("data-open")) { hide(key); } else { showGroup(key, 1); } return; }
    key = t.getAttribute("data-group-page");
    if (key) { showGroup(key, parseInt(t.getAttribute("data-page"), 10)); return; }
    key = t.getAttribute("data-hide");
    if (key) { hide(key); return; }
    key = t.getAttribute("data-ack-group") || t.getAttribute("data-assign-group");
    if (key) {
      var g = groupRow(key), body = { unit: g.dataset.unit, kind: g.dataset.kind };
      if (t.getAttribute("data-ack-group")) body.action = "ack"; else { body.action = "assign"; body.assign_unit = assignSel.value; }
      bulk(body);
    }
  });
  function hide(key) {
    var tr = groupRow(key);
    if (!tr) return;
    tr.removeAttribute("data-open");
    var next = tr.nextElementSibling;
    if (next && next.classList.contains("detail")) next.remove();
  }
  // the map
  var mapEl = document.getElementById("ops-map"), map = null, cluster = null;
  var cursor = null, markersById = {}, states = {}, mapBusy = false, mapAgain = false;
  var colors = { "": "#a0aec0", opened: "#3182ce", voting: "#3182ce", closed: "#805ad5", counted: "#805ad5", handed_over: "#38a169" };
  function ensureMap() {
    if (!mapEl || !window.L) return false;
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
    return true;
  }
  function loadMap() {
    if (!ensureMap()) return;
    if (mapBusy) { mapAgain = true; return; }
    mapBusy = true;
    var url = root.dataset.mapUrl + (cursor !== null ? "?since=" + cursor : "");
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; }).then(function (d) {
      mapBusy = false;
      if (mapAgain) { mapAgain = false; setTimeout(loadMap, 0); }
      if (!d) return;
      if (!d.delta) { cluster.clearLayers(); markersById = {}; }
      var markers = [], bounds = [];
      d.points.forEach(function (p) {
        var old = markersById[p[0]];
        if (old) cluster.removeLayer(old);
        var color = p[4] > 0 ? "#c53030" : (colors[p[3]] || "#a0aec0");
        var m = L.circleMarker([p[1], p[2]], { radius: 5, color: color, weight: 1, fillOpacity: 0.8 })
          .bindPopup("TPS " + esc(p[6]) + (p[3] ? " · " + esc(p[3]) : "") + (p[4] ? " · " + p[4] + " !" : ""));
        markersById[p[0]] = m; states[p[0]] = p[3];
        markers.push(m); bounds.push([p[1], p[2]]);
      });
      if (cluster.addLayers) cluster.addLayers(markers); else markers.forEach(function (m) { cluster.addLayer(m); });
      if (!mapEl.dataset.fitted && bounds.length) { map.fitBounds(bounds); mapEl.dataset.fitted = "1"; }
      cursor = d.cursor;
      var ids = Object.keys(states);
      mapEl.setAttribute("data-points", String(ids.length));
      mapEl.setAttribute("data-reported", String(ids.filter(function (k) { return states[k]; }).length));
      mapEl.setAttribute("data-cursor", String(cursor));
    }).catch(function (e) { mapBusy = false; if (window.console) console.warn("ops map", e); });
  }
  // Officer status (sinergi.personnel): one marker per unit (a numbered box coloured by the status most of its
  // on-duty officers report; grey when all are off duty), never one per officer, with the counts per Polres in
  // the table beside the map. Reloaded on a "unit_status" live event, else every 15 s while polling.
  var unitsLayer = null, unitsBusy = false, unitsAgain = false;
  function dominant(row, statuses) {
    var best = -1, bi = statuses.length - 1;
    for (var i = 0; i < statuses.length; i++) {
      if (statuses[i].value === "off_duty") continue;
      if (row[5 + i] > best && row[5 + i] > 0) { best = row[5 + i]; bi = i; }
    }
    return statuses[bi];
  }
  function renderUnits(d) {
    var sts = d.statuses || [];
    var tb = root.querySelector("[data-testid=unit-status-counts] tbody");
    if (tb) {
      tb.innerHTML = (d.polres || []).map(function (r) {
        return "<tr data-unit='" + esc(r.code) + "'><td>" + esc(r.unit) + "</td>" + sts.map(function (s) {
          return "<td data-col='" + esc(s.value) + "'>" + (r[s.value] || 0) + "</td>"; }).join("") + "<td data-col='total'>" + r.total + "</td></tr>";
      }).join("") || "<tr><td colspan='" + (sts.length + 2) + "' class='muted'>" + esc(T.none) + "</td></tr>";
    }
    set("units-total", d.total || 0);
    if (ensureMap()) {
      if (!unitsLayer) { unitsLayer = L.layerGroup().addTo(map); }
      unitsLayer.clearLayers();
      (d.units || []).forEach(function (u) {
        var s = dominant(u, sts), total = u[5 + sts.length];
        var icon = L.divIcon({ className: "", iconSize: null, html: "<div class='unit-marker' data-unit-id='" + u[0] + "' data-status='" + esc(s.value) +
          "'>" + total + "</div>" });
        var lines = sts.map(function (x, i) { return esc(x.label) + ": " + u[5 + i]; }).join("<br>");
        L.marker([u[1], u[2]], { icon: icon, keyboard: false, zIndexOffset: 1000 }).bindPopup("<strong>" + esc(u[3]) + "</strong><br>" + lines).addTo(unitsLayer);
      });
      mapEl.setAttribute("data-units", String((d.units || []).length));
    }
    root.setAttribute("data-units-loaded", String(Date.now()));
    root.setAttribute("data-units-total", String(d.total || 0));
  }
  function loadUnits() {
    if (!root.dataset.unitsUrl) return;
    if (unitsBusy) { unitsAgain = true; return; }
    unitsBusy = true;
    fetch(root.dataset.unitsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; }).then(function (d) {
        unitsBusy = false;
        if (unitsAgain) { unitsAgain = false; setTimeout(loadUnits, 0); }
        if (d) renderUnits(d);
      }).catch(function (e) { unitsBusy = false; if (window.console) console.warn("ops units", e); });
  }
  load();
  loadUnits();
  setInterval(loadMap, 60000);
  var timer = null, unitTimer = null, polls = 0;
  // not live: the dashboard every 5 s, the officer status every third time (15 s); on (re)connect both catch up
  function poll() { load(); if (polls++ % 3 === 0) loadUnits(); }
  window.SinergiLive({ path: "/ws/operasi/", status: document.getElementById("ops-live"), poll: poll, pollMs: 5000,
    onEvent: function (ev) {
      if (ev && ev.kind === "unit_status") { clearTimeout(unitTimer); unitTimer = setTimeout(loadUnits, 300); return; }
      clearTimeout(timer); timer = setTimeout(load, 300);
    } });
})();
