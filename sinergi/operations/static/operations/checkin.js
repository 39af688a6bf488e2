// Offline-friendly check-in: each submission gets an idempotency key, is queued in localStorage and sent to the
// API; on no connection it stays queued and is retried when the phone is back online (and every 20 s). The
// server stores each key once, so retries never double-count. Without JavaScript the forms post normally.
(function () {
  var QKEY = "sinergi.checkin.queue";
  var T = JSON.parse(document.getElementById("ck-i18n").textContent);
  var box = document.getElementById("ck-queue");
  var csrf = (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  function load() { try { return JSON.parse(localStorage.getItem(QKEY) || "[]"); } catch (e) { return []; } }
  function save(q) { try { localStorage.setItem(QKEY, JSON.stringify(q)); } catch (e) { /* storage full */ } }
  function key() {
    if (window.crypto && crypto.randomUUID) return "web-" + crypto.randomUUID();
    return "web-" + Date.now() + "-" + Math.random().toString(36).slice(2);
  }
  function show(item, text, cls) {
    var id = "q-" + item.key.replace(/[^a-zA-Z0-9-]/g, "");
    var el = document.getElementById(id);
    if (!el) { el = document.createElement("p"); el.id = id; box.appendChild(el); }
    el.className = cls || "";
    el.setAttribute("data-status", cls || "queued");
    el.textContent = "TPS " + item.tps + " · " + item.label + " · " + text;
  }
  // Inside an exercise (latihan) the banner carries the exercise clock: reports get the simulated time and are sent
  // to the exercise even if the phone leaves it before they go out.
  var ex = document.querySelector("[data-latihan-clock]");
  function now() {
    if (!ex) return new Date();
    var c = ex.getAttribute("data-latihan-clock").split(",").map(Number);
    return new Date(Math.min(c[3], Math.max(c[0], c[0] + (Date.now() - c[1]) * c[2])));
  }
  var sending = false;
  function flush() {
    if (sending) return;
    var q = load();
    if (!q.length) return;
    sending = true;
    var item = q[0];
    fetch(T.api, { method: "POST", credentials: "same-origin",
      headers: Object.assign({ "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
        item.latihan ? { "X-Sinergi-Latihan": item.latihan } : {}),
      body: JSON.stringify({ key: item.key, tps: item.tps, kind: item.kind, at: item.at, note: item.note || "" }) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (body) {
          var rest = load().filter(function (x) { return x.key !== item.key; });
          if (r.status === 201 || r.status === 200) {
            save(rest); show(item, r.status === 201 ? T.sent + " (no. " + body.id + ")" : T.dup, "done");
            var row = document.querySelector(".tps[data-tps='" + item.tps + "'] [data-testid=state]");
            if (row && item.kind !== "problem") row.textContent = item.label;
            document.querySelectorAll(".tps[data-tps='" + item.tps + "'] button[data-kind='" + item.kind + "']").forEach(function (b) {
              if (item.kind === "problem") { b.disabled = false; } else { b.parentNode.style.display = "none"; }
            });
          } else if (r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429) {
            save(rest);
            var why = Object.keys(body).map(function (k) { return [].concat(body[k]).join(" "); }).join("; ");
            show(item, T.rejected + ": " + why, "bad");
          } else { throw new Error("retry"); }
          sending = false; flush();
        });
      })
      .catch(function () { sending = false; show(item, T.queued, ""); });
  }
  document.querySelectorAll("form.checkin-form").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var btn = form.querySelector("button[data-kind]");
      var note = form.querySelector("input[name=note]");
      var item = { key: key(), tps: form.tps.value, kind: form.kind.value, at: now().toISOString(),
        latihan: ex ? ex.getAttribute("data-latihan") : "",
        note: note ? note.value : "", label: btn ? btn.textContent.trim() : form.kind.value };
      var q = load(); q.push(item); save(q);
      show(item, T.queued, "");
      if (btn) btn.disabled = true;
      if (note) note.value = "";
      flush();
    });
  });
  load().forEach(function (item) { show(item, T.queued, ""); });
  window.addEventListener("online", flush);
  setInterval(flush, 20000);
  flush();
})();
