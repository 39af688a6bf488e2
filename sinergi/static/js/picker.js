// Searchable choosers: every <select data-picker> gets a search box above it; typing keeps the options (and
// groups) whose label contains every typed word. Works for single and multiple selects; selected options stay.
(function () {
  var hint = (document.currentScript && document.currentScript.getAttribute("data-hint")) || "";
  function norm(s) { return (s || "").toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, ""); }
  function attach(select) {
    if (select.dataset.pickerReady) return;
    select.dataset.pickerReady = "1";
    var box = document.createElement("input");
    box.type = "search";
    box.className = "picker-search";
    box.placeholder = select.getAttribute("data-picker-placeholder") || hint;
    box.setAttribute("aria-label", box.placeholder);
    select.parentNode.insertBefore(box, select);
    box.addEventListener("input", function () {
      var words = norm(box.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      Array.prototype.forEach.call(select.options, function (o) {
        var hit = !o.value || o.selected || words.every(function (w) { return norm(o.text).indexOf(w) >= 0; });
        o.hidden = !hit;
        if (hit && o.value) shown++;
      });
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (g) {
        g.hidden = !Array.prototype.some.call(g.children, function (o) { return !o.hidden; });
      });
      select.setAttribute("data-shown", String(shown));
    });
  }
  function init(root) { Array.prototype.forEach.call((root || document).querySelectorAll("select[data-picker]"), attach); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { init(); });
  else init();
  document.addEventListener("htmx:afterSwap", function (e) { init(e.target); });
})();
