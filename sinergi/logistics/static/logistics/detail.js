// Movement detail: reload when this movement changes (operations socket; best effort, the page works without it).
(function () {
  var me = document.getElementById("lg-detail-js");
  if (!me || !window.WebSocket) return;
  var id = Number(me.dataset.movement);
  try {
    var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/operasi/");
    ws.onmessage = function (e) {
      try {
        var d = JSON.parse(e.data);
        if (d.kind === "escort" && d.id === id) setTimeout(function () { location.reload(); }, 800);
      } catch (err) {}
    };
  } catch (err) {}
})();
