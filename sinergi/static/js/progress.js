// Progress of long work (sinergi/core/progress.py): every [data-progress-url] box on the page is refreshed from its
// JSON every 1.5 s while its run is queued or running: bar, percent, done / total, step, time left and the time of
// the last update ("diperbarui 10:42:05"). With data-progress-reload the page reloads once the run has finished
// (so it shows the results). Boxes added later (htmx swaps) are picked up on the next tick.
(function () {
  var INTERVAL = 1500;
  function set(box, sel, text) {
    var el = box.querySelector(sel);
    if (el) el.textContent = text;
  }
  function render(box, d) {
    var fill = box.querySelector("[data-progress-fill]");
    var bar = box.querySelector("[role=progressbar]");
    if (d.percent !== null && d.percent !== undefined) {
      if (fill) fill.style.width = d.percent + "%";
      if (bar) bar.setAttribute("aria-valuenow", d.percent);
      set(box, "[data-progress-percent]", d.percent + " %");
    }
    set(box, "[data-progress-count]", d.total !== null && d.total !== undefined ? d.done_text + " / " + d.total_text : "");
    set(box, "[data-progress-status]", d.status_label);
    set(box, "[data-progress-step]", d.step ? "· " + d.step : "");
    set(box, "[data-progress-left]", d.left_text ? "· " + box.getAttribute("data-label-left") + " " + d.left_text : "");
    set(box, "[data-progress-updated]", "· " + box.getAttribute("data-label-updated") + " " + d.updated);
    box.setAttribute("data-status", d.status);
    box.setAttribute("data-done", d.done);
  }
  function poll(box) {
    if (box.getAttribute("data-busy") === "1") return;
    box.setAttribute("data-busy", "1");
    fetch(box.getAttribute("data-progress-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        box.removeAttribute("data-busy");
        if (!d) return;
        render(box, d);
        if (!d.active) {
          box.setAttribute("data-active", "0");
          if (box.getAttribute("data-progress-reload") === "1") window.location.reload();
        }
      })
      .catch(function () { box.removeAttribute("data-busy"); });
  }
  function tick() {
    var boxes = document.querySelectorAll("[data-progress-url][data-active='1']");
    for (var i = 0; i < boxes.length; i++) poll(boxes[i]);
  }
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, INTERVAL);
  });
})();
