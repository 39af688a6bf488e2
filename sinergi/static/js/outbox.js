// The field pages' one outbox (issue 16). Every submission made on a field page gets an idempotency key and is
// kept in IndexedDB until the server has answered; it is sent in order (one at a time, one tab at a time), again
// on reconnect, at page load and every 20 s. The server stores each key once, so a retry never doubles a record.
// The outbox is shown on the page: menunggu (waiting) / terkirim (sent) / ditolak (refused, with the reason).
// An expired session keeps every item and asks to sign in; they go out after signing in.
//
//   <form data-outbox="Label">            generic form: posted (multipart, fresh `key`) by the outbox
//   <form data-draft>                      what is typed is kept in localStorage until it is queued
//   SinergiOutbox.add({url, body, label, json: true, headers}) -> Promise   (pages with their own JSON API)
//   SinergiOutbox.on(function (item, outcome, body) {...})                   ("sent" | "refused")
// Also registers the service worker (/sw.js) that keeps the field pages for offline use.
(function () {
  "use strict";
  var I = { queued: "menunggu sinyal", sent: "terkirim", refused: "ditolak", login: "Sesi berakhir: masuk lagi untuk mengirim",
            title: "Kotak keluar", draft: "draf tersimpan di ponsel", login_url: "/accounts/login/" };
  var i18n = document.getElementById("outbox-i18n");
  if (i18n) { try { var t = JSON.parse(i18n.textContent); for (var k in t) { I[k] = t[k]; } } catch (e) { /* defaults */ } }
  var DB = "sinergi-outbox", STORE = "items", KEEP_MS = 24 * 3600 * 1000;
  var listeners = [], dbp = null, seq = 0, needLogin = false;

  function db() {
    if (!dbp) {
      dbp = new Promise(function (resolve, reject) {
        var rq = indexedDB.open(DB, 1);
        rq.onupgradeneeded = function () { rq.result.createObjectStore(STORE, { keyPath: "key" }); };
        rq.onsuccess = function () { resolve(rq.result); };
        rq.onerror = function () { reject(rq.error); };
      });
    }
    return dbp;
  }
  function tx(mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction(STORE, mode), st = t.objectStore(STORE), out;
        var r = fn(st);
        if (r) { r.onsuccess = function () { out = r.result; }; }
        t.oncomplete = function () { resolve(out); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }
  function all() {
    return tx("readonly", function (st) { return st.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.seq - b.seq; });
    });
  }
  function put(item) { return tx("readwrite", function (st) { return st.put(item); }); }
  function del(key) { return tx("readwrite", function (st) { return st.delete(key); }); }

  function newKey(prefix) {
    if (window.crypto && crypto.randomUUID) return (prefix || "web-") + crypto.randomUUID();
    return (prefix || "web-") + Date.now() + "-" + Math.random().toString(36).slice(2);
  }
  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }
  function csrf() {
    return cookie("csrftoken") || (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  }

  // ---- display ---------------------------------------------------------------------------------------------------
  function box() {
    var b = document.querySelector("[data-testid=queue]");
    if (b) return b;
    var first = document.querySelector("form[data-outbox]");
    if (!first) return null;
    b = document.createElement("div");
    b.className = "outbox"; b.setAttribute("data-testid", "queue"); b.setAttribute("aria-live", "polite");
    first.parentNode.insertBefore(b, first);
    return b;
  }
  function render() {
    var b = box();
    if (!b) return Promise.resolve();
    return all().then(function (items) {
      var now = Date.now();
      items.forEach(function (item) {
        if (item.status !== "waiting" && now - (item.doneAt || 0) > KEEP_MS) { del(item.key); return; }
        var id = "q-" + item.key.replace(/[^a-zA-Z0-9-]/g, "");
        var el = document.getElementById(id);
        if (!el) { el = document.createElement("p"); el.id = id; b.appendChild(el); }
        var st = item.status === "sent" ? "done" : item.status === "refused" ? "bad" : "queued";
        el.className = st === "queued" ? "" : st;
        el.setAttribute("data-status", st);
        el.setAttribute("data-key", item.key);
        var text = st === "done" ? I.sent + (item.detail ? " · " + item.detail : "")
          : st === "bad" ? I.refused + (item.detail ? ": " + item.detail : "") : I.queued;
        el.textContent = item.label + " · " + text;
      });
      var warn = document.getElementById("outbox-login");
      if (needLogin && !warn) {
        warn = document.createElement("p"); warn.id = "outbox-login"; warn.className = "bad";
        warn.setAttribute("data-status", "login");
        var a = document.createElement("a");
        a.href = I.login_url + "?next=" + encodeURIComponent(location.pathname + location.search);
        a.textContent = I.login;
        warn.appendChild(a); b.insertBefore(warn, b.firstChild);
      } else if (!needLogin && warn) { warn.parentNode.removeChild(warn); }
    });
  }

  // ---- sending ---------------------------------------------------------------------------------------------------
  function textOf(html, selector) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    return Array.prototype.map.call(doc.querySelectorAll(selector), function (n) {
      return n.textContent.replace(/\s+/g, " ").trim();
    }).filter(Boolean).join("; ");
  }
  function isLogin(r) {
    try { return r.redirected && new URL(r.url).pathname.indexOf(I.login_url) === 0; } catch (e) { return false; }
  }
  function send(item) {
    var headers = { "X-CSRFToken": csrf(), "X-Requested-With": "SinergiOutbox" };
    for (var h in (item.headers || {})) { headers[h] = item.headers[h]; }
    var body;
    if (item.json) {
      headers["Content-Type"] = "application/json"; headers.Accept = "application/json";
      body = JSON.stringify(item.body);
    } else {
      body = new FormData();
      item.body.forEach(function (pair) { body.append(pair[0], pair[1]); });
    }
    return fetch(item.url, { method: "POST", credentials: "same-origin", headers: headers, body: body })
      .then(function (r) {
        if (isLogin(r)) return { outcome: "login" };
        // a form answered with a redirect was accepted (post/redirect/get), whatever the next page says
        if (r.redirected && !item.json) {
          return r.text().then(function (text) {
            return { outcome: "sent", detail: r.ok ? textOf(text, ".messages li") : "", status: r.status };
          }, function () { return { outcome: "sent", detail: "" }; });
        }
        if (r.status === 408 || r.status === 429 || r.status >= 500) return { outcome: "retry" };
        var ct = r.headers.get("Content-Type") || "";
        return r.text().then(function (text) {
          var data = {};
          if (ct.indexOf("json") >= 0) { try { data = JSON.parse(text); } catch (e) { data = {}; } }
          // signed out, or the CSRF cookie is gone with the session: keep the item, ask to sign in
          if (r.status === 401 || (r.status === 403 && /credentials|authenticat|login|masuk|CSRF/i.test(text))) {
            return { outcome: "login" };
          }
          if (r.status >= 400) {
            var why = ct.indexOf("json") >= 0 ? flatten(data) : (textOf(text, ".errorlist li") || textOf(text, "h1") || ("HTTP " + r.status));
            return { outcome: "refused", detail: why, body: data };
          }
          if (ct.indexOf("html") >= 0) {
            var errs = textOf(text, ".errorlist li");
            if (errs) return { outcome: "refused", detail: errs };
            return { outcome: "sent", detail: textOf(text, ".messages li, [data-testid=receipt]"), status: r.status };
          }
          return { outcome: "sent", body: data, status: r.status };
        });
      }, function () { return { outcome: "retry" }; });
  }
  function flatten(obj) {
    if (obj == null) return "";
    if (typeof obj !== "object") return String(obj);
    return Object.keys(obj).map(function (k) { return [].concat(obj[k]).map(flatten).join(" "); }).join("; ");
  }

  var flushing = null;
  function flushOnce() {
    return all().then(function (items) {
      var waiting = items.filter(function (x) { return x.status === "waiting"; });
      function next(i) {
        if (i >= waiting.length) { needLogin = false; return null; }
        var item = waiting[i];
        return send(item).then(function (res) {
          if (res.outcome === "retry") return null;
          if (res.outcome === "login") { needLogin = true; return null; }
          needLogin = false;
          item.status = res.outcome; item.doneAt = Date.now();
          listeners.forEach(function (fn) {
            try { var d = fn(item, res.outcome, res.body || {}, res); if (typeof d === "string") res.detail = d; } catch (e) { /* page hook */ }
          });
          item.detail = res.detail || "";
          return put(item).then(function () { return render(); }).then(function () { return next(i + 1); });
        });
      }
      return next(0);
    }).then(render, render);
  }
  function flush() {
    if (flushing) return flushing;
    var run = (navigator.locks && navigator.locks.request)
      ? navigator.locks.request("sinergi-outbox", flushOnce) : flushOnce();
    flushing = Promise.resolve(run).then(function () { flushing = null; }, function () { flushing = null; });
    return flushing;
  }
  function add(item) {
    item.key = item.key || newKey();
    item.seq = Date.now() * 1000 + (seq++ % 1000);
    item.status = "waiting"; item.page = location.pathname;
    return put(item).then(render).then(function () { flush(); return item; });
  }

  // ---- drafts and generic forms ----------------------------------------------------------------------------------
  function draftKey(form) {
    var forms = Array.prototype.slice.call(document.querySelectorAll("form[data-draft], form[data-outbox]"));
    return "sinergi.draft:" + location.pathname + ":" + (form.id || forms.indexOf(form));
  }
  function typed(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.type === "file" || el.type === "submit" || el.type === "button") return;
      out[el.name] = (el.type === "checkbox" || el.type === "radio") ? (el.checked ? el.value : out[el.name] || "") : el.value;
    });
    return out;
  }
  function saveDraft(form) {
    try { localStorage.setItem(draftKey(form), JSON.stringify(typed(form))); } catch (e) { /* storage full */ }
  }
  function restoreDraft(form) {
    var d;
    try { d = JSON.parse(localStorage.getItem(draftKey(form)) || "null"); } catch (e) { d = null; }
    if (!d) return;
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || !(el.name in d) || el.type === "hidden" || el.type === "file") return;
      if (el.type === "checkbox" || el.type === "radio") { el.checked = d[el.name] === el.value; } else { el.value = d[el.name]; }
    });
    form.setAttribute("data-draft-restored", "1");
  }
  function clearDraft(form) { try { localStorage.removeItem(draftKey(form)); } catch (e) { /* ignore */ } }

  document.querySelectorAll("form[data-draft], form[data-outbox]").forEach(function (form) {
    restoreDraft(form);
    form.addEventListener("input", function () { saveDraft(form); });
    form.addEventListener("change", function () { saveDraft(form); });
  });
  document.querySelectorAll("form[data-outbox]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var pairs = [], summary = "";
      new FormData(form).forEach(function (value, name) {
        if (name === "csrfmiddlewaretoken" || name === "key" || name === "website" && !value) return;
        if (value instanceof File && !value.name) return;
        pairs.push([name, value]);
      });
      var k = newKey("of-");
      if (form.querySelector("input[name=key]")) pairs.push(["key", k]);
      var ta = form.querySelector("textarea, input[type=text]");
      if (ta && ta.value) summary = " · " + ta.value.slice(0, 40);
      // (not form.action: a field named "action" hides it)
      var url = new URL(form.getAttribute("action") || location.href, location.href).href;
      add({ key: k, url: url, body: pairs, label: form.getAttribute("data-outbox") + summary })
        .then(function () { clearDraft(form); form.reset(); });
    });
  });
  // signing out: the pages kept for this user are forgotten
  document.querySelectorAll("form[action$='/logout/']").forEach(function (f) {
    f.addEventListener("submit", function () {
      if (navigator.serviceWorker && navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage({ type: "forget" });
      }
    });
  });

  window.SinergiOutbox = { add: add, flush: flush, all: all, key: newKey, render: render,
    on: function (fn) { listeners.push(fn); } };

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      if (navigator.onLine && reg.active) reg.active.postMessage({ type: "warm", url: location.pathname + location.search });
    }).catch(function () { /* no worker: the page still queues */ });
  }
  window.addEventListener("online", flush);
  setInterval(flush, 20000);
  render().then(flush);
})();
