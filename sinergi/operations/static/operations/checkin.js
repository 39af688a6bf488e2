// TPS check-in through the shared outbox (static/js/outbox.js): each press gets an idempotency key and is kept in
// IndexedDB until the check-in API has answered; offline it waits and goes out on reconnect, in order. The server
// stores each key once, so retries never double-count. Without JavaScript the forms post normally.
(function () {
  var T = JSON.parse(document.getElementById("ck-i18n").textContent);
  var box = window.SinergiOutbox;
  if (!box) return;
  // Inside an exercise (latihan) the banner carries the exercise clock: reports get the simulated time and are sent
  // to the exercise even if the phone leaves it before they go out.
  var ex = document.querySelector("[data-latihan-clock]");
  function now() {
    if (!ex) return new Date();
    var c = ex.getAttribute("data-latihan-clock").split(",").map(Number);
    return new Date(Math.min(c[3], Math.max(c[0], c[0] + (Date.now() - c[1]) * c[2])));
  }
  box.on(function (item, outcome, body, res) {
    if (!item.checkin) return;
    if (outcome === "sent") {
      var row = document.querySelector(".tps[data-tps='" + item.checkin.tps + "'] [data-testid=state]");
      if (row && item.checkin.kind !== "problem") row.textContent = item.checkin.label;
      document.querySelectorAll(".tps[data-tps='" + item.checkin.tps + "'] button[data-kind='" + item.checkin.kind + "']").forEach(function (b) {
        if (item.checkin.kind === "problem") { b.disabled = false; } else { b.parentNode.style.display = "none"; }
      });
      return res.status === 201 ? T.sent + " (no. " + body.id + ")" : T.dup;
    }
  });
  document.querySelectorAll("form.checkin-form").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var btn = form.querySelector("button[data-kind]");
      var note = form.querySelector("input[name=note]");
      var k = box.key("web-");
      var label = btn ? btn.textContent.trim() : form.kind.value;
      var latihan = ex ? ex.getAttribute("data-latihan") : "";
      box.add({ key: k, url: T.api, json: true, label: "TPS " + form.tps.value + " · " + label,
        headers: latihan ? { "X-Sinergi-Latihan": latihan } : {},
        checkin: { tps: form.tps.value, kind: form.kind.value, label: label },
        body: { key: k, tps: form.tps.value, kind: form.kind.value, at: now().toISOString(), note: note ? note.value : "" } });
      if (btn) btn.disabled = true;
      if (note) { note.value = ""; try { localStorage.removeItem("sinergi.draft:" + location.pathname + ":" + form.id); } catch (e) { /* */ } }
      if (btn && form.kind.value === "problem") setTimeout(function () { btn.disabled = false; }, 1500);
    });
  });
})();
