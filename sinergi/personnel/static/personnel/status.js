// Offline-friendly status reports (like the check-in page): each press gets an idempotency key, is queued in
// localStorage and sent to the JSON endpoint; without a connection it stays queued and is retried when the phone is
// back online (and every 20 s). The server stores each key once. Without JavaScript the forms post normally.
(function () {
  var QKEY = "sinergi.status.queue";
  var T = JSON.parse(document.getElementById("st-i18n").textContent);
  var box = document.getElementById("st-queue");
  var mine = document.querySelector("[data-testid=my-status]");
  var csrf = (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  function load() { try { return JSON.parse(localStorage.getItem(QKEY) || "[]"); } catch (e) { return []; } }
  function save(q) { try { localStorage.setItem(QKEY, JSON.stringify(q)); } catch (e) { /* storage full */ } }
  function key() {
    if (window.crypto && crypto.randomUUID) return "st-" + crypto.randomUUID();
    return "st-" + Date.now() + "-" + Math.random().toString(36).slice(2);
  }
  function show(item, text, cls) {
    if (!box) return;
    var id = "q-" + item.key.replace(/[^a-zA-Z0-9-]/g, "");
    var el = document.getElementById(id);
    if (!el) { el = document.createElement("p"); el.id = id; box.appendChild(el); }
    el.className = cls || "";
    el.setAttribute("data-status", cls || "queued");
    el.textContent = item.label + " · " + text;
  }
  var sending = false;
  function flush() {
    if (sending) return;
    var q = load();
    if (!q.length) return;
    sending = true;
    var item = q[0];
    fetch(T.api, { method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ key: item.key, status: item.status, at: item.at }) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (body) {
          var rest = load().filter(function (x) { return x.key !== item.key; });
          if (r.status === 201 || r.status === 200) {
            save(rest); show(item, T.sent, "done"); if (mine) mine.textContent = item.label;
          } else if (r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429) {
            save(rest); show(item, T.rejected, "bad");
          } else { throw new Error("retry"); }
          sending = false; flush();
        });
      })
      .catch(function () { sending = false; show(item, T.queued, ""); });
  }
  document.querySelectorAll("form.status-form").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var btn = form.querySelector("button[data-status]");
      var item = { key: key(), status: form.status.value, at: new Date().toISOString(),
        label: btn ? btn.textContent.trim() : form.status.value };
      var q = load(); q.push(item); save(q);
      show(item, T.queued, "");
      flush();
    });
  });
  load().forEach(function (item) { show(item, T.queued, ""); });
  window.addEventListener("online", flush);
  setInterval(flush, 20000);
  flush();
})();
