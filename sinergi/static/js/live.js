// Live updates for the situation room and the command dashboard (see sinergi/core/live.py).
// SinergiLive({path, status, onEvent, poll, pollMs}): opens a WebSocket on `path`; while it is open the page is
// "live" (status element data-state="live") and reloads on each event; while it is not, the page polls every
// `pollMs` and says so (data-state="polling"), reconnecting with exponential back-off (1 s .. 30 s, jittered).
// Heartbeat: a ping every 20 s; no message for 50 s closes the socket and reconnects. Close codes 4401/4403
// (not signed in / second factor or permission missing) stop reconnecting: the page keeps polling.
(function () {
  window.SinergiLive = function (opts) {
    var status = opts.status, ws = null, attempt = 0, pollTimer = null, hb = null, last = 0, stopped = false;
    function label(state) {
      if (!status) return;
      status.setAttribute("data-state", state);
      var text = status.getAttribute("data-label-" + state);
      if (text) status.textContent = (state === "live" ? "● " : "") + text;
    }
    function startPolling() {
      if (!pollTimer) pollTimer = setInterval(opts.poll, opts.pollMs || 5000);
    }
    function stopPolling() { clearInterval(pollTimer); pollTimer = null; }
    function schedule() {
      if (stopped) return;
      var delay = Math.min(30000, 1000 * Math.pow(2, attempt++)) * (0.5 + Math.random() / 2);
      label("polling");
      setTimeout(connect, delay);
    }
    function connect() {
      if (!window.WebSocket) { label("polling"); return; }
      if (status && status.getAttribute("data-state") !== "live") label("polling");  // polling until it opens
      try {
        ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + opts.path);
      } catch (e) { schedule(); return; }
      ws.onopen = function () {
        attempt = 0; last = Date.now(); stopPolling(); label("live");
        opts.poll();  // catch up on what happened while not connected
        hb = setInterval(function () {
          if (Date.now() - last > 50000) { try { ws.close(); } catch (e) { /* closed */ } return; }
          try { ws.send('{"type":"ping"}'); } catch (e) { /* reconnects on close */ }
        }, 20000);
      };
      ws.onmessage = function (m) {
        last = Date.now();
        var d = null;
        try { d = JSON.parse(m.data); } catch (e) { return; }
        if (d && d.type === "event") opts.onEvent(d);
      };
      ws.onclose = function (ev) {
        clearInterval(hb); startPolling();
        if (ev.code === 4401 || ev.code === 4403) { stopped = true; label("polling"); return; }
        schedule();
      };
    }
    startPolling();
    if (!status || status.getAttribute("data-ws") !== "0") connect(); else label("polling");
  };
})();
