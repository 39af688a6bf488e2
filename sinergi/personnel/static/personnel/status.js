// Officer status through the shared outbox (static/js/outbox.js): each press gets an idempotency key, waits in
// IndexedDB while offline and is sent to the JSON endpoint on reconnect, in order. The server stores each key once.
// Without JavaScript the forms post normally.
(function () {
  var T = JSON.parse(document.getElementById("st-i18n").textContent);
  var box = window.SinergiOutbox;
  var mine = document.querySelector("[data-testid=my-status]");
  if (!box) return;
  box.on(function (item, outcome) {
    if (item.officerStatus && outcome === "sent" && mine) mine.textContent = item.officerStatus;
  });
  document.querySelectorAll("form.status-form").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var btn = form.querySelector("button[data-status]");
      var k = box.key("st-");
      var label = btn ? btn.textContent.trim() : form.status.value;
      box.add({ key: k, url: T.api, json: true, label: label, officerStatus: label,
        body: { key: k, status: form.status.value, at: new Date().toISOString() } });
    });
  });
})();
