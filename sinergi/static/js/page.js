// Behaviour that used to sit in inline on*= attributes (the Content-Security-Policy allows no inline script).
// <select data-autosubmit> submits its form on change; <button data-geolocate> fills #id_lat/#id_lng with the
// device position; <form data-confirm="question"> asks before it is sent; <form data-goto="/prefix/"> navigates to prefix + the value of its "code" field + "/".
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t && t.hasAttribute && t.hasAttribute("data-autosubmit") && t.form) { t.form.submit(); }
  });
  document.addEventListener("click", function (e) {
    var b = e.target && e.target.closest ? e.target.closest("[data-geolocate]") : null;
    if (!b || !navigator.geolocation) { return; }
    navigator.geolocation.getCurrentPosition(function (p) {
      var lat = document.getElementById("id_lat"), lng = document.getElementById("id_lng");
      if (lat) { lat.value = p.coords.latitude.toFixed(6); }
      if (lng) { lng.value = p.coords.longitude.toFixed(6); }
    });
  });
  document.addEventListener("submit", function (e) {
    var c = e.target;
    if (c && c.hasAttribute && c.hasAttribute("data-confirm") && !window.confirm(c.getAttribute("data-confirm"))) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (!f || !f.hasAttribute || !f.hasAttribute("data-goto") || !f.elements.code) { return; }
    e.preventDefault();
    window.location.href = f.getAttribute("data-goto") + encodeURIComponent(f.elements.code.value) + "/";
  });
})();
