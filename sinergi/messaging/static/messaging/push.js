// "Aktifkan notifikasi" on /pesan/: subscribes this browser to Web Push through the field app's service worker
// (/sw.js, PushManager.subscribe with the server's VAPID public key), stores the subscription on the server and
// switches it off again. The service worker shows the notice on `push` and opens /pesan/<id>/ on click.
(function () {
  "use strict";
  var box = document.querySelector("[data-push]");
  if (!box) { return; }
  var key = box.getAttribute("data-key");
  var onBtn = box.querySelector("[data-push-on]");
  var offBtn = box.querySelector("[data-push-off]");
  var status = box.querySelector("[data-push-status]");
  var texts = {};
  var tpl = box.querySelector("template[data-push-texts]");
  if (tpl) {
    tpl.content.querySelectorAll("[data-t]").forEach(function (el) { texts[el.getAttribute("data-t")] = el.textContent; });
  }
  function say(state) {
    box.setAttribute("data-state", state);
    if (texts[state]) { status.textContent = texts[state]; }
    onBtn.hidden = !(state === "off" || state === "failed");
    offBtn.hidden = state !== "on";
  }
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) { return decodeURIComponent(m[1]); }
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function post(url, data) {
    return fetch(url, {method: "POST", credentials: "same-origin", body: JSON.stringify(data),
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf()}});
  }
  // base64url VAPID key -> Uint8Array (applicationServerKey)
  function keyBytes(b64) {
    var s = (b64 + "===".slice((b64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(s);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }
  if (!key) { return; }
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say("unsupported");
    return;
  }
  if (Notification.permission === "denied") { say("denied"); return; }
  function registration() {
    return navigator.serviceWorker.register("/sw.js", {scope: "/"}).then(function () {
      return navigator.serviceWorker.ready;
    });
  }
  registration().then(function (reg) {
    return reg.pushManager.getSubscription();
  }).then(function (sub) {
    say(sub ? "on" : "off");
  }).catch(function () { say("unsupported"); });

  onBtn.addEventListener("click", function () {
    onBtn.disabled = true;
    Notification.requestPermission().then(function (perm) {
      if (perm !== "granted") { throw new Error(perm === "denied" ? "denied" : "failed"); }
      return registration();
    }).then(function (reg) {
      return reg.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: keyBytes(key)});
    }).then(function (sub) {
      return post(box.getAttribute("data-url"), sub.toJSON()).then(function (r) {
        if (!r.ok) { return sub.unsubscribe().then(function () { throw new Error("failed"); }); }
        say("on");
      });
    }).catch(function (err) {
      say(err && err.message === "denied" ? "denied" : "failed");
    }).then(function () { onBtn.disabled = false; });
  });

  offBtn.addEventListener("click", function () {
    offBtn.disabled = true;
    registration().then(function (reg) {
      return reg.pushManager.getSubscription();
    }).then(function (sub) {
      if (!sub) { return null; }
      var endpoint = sub.endpoint;
      return sub.unsubscribe().then(function () {
        return post(box.getAttribute("data-off-url"), {endpoint: endpoint});
      });
    }).then(function () { say("off"); }, function () { say("failed"); })
      .then(function () { offBtn.disabled = false; });
  });
}());
