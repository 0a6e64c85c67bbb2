// Screen ④: count down to the deadline and move on by itself the moment the call is matched.
// Without JavaScript the page still works: the customer presses Confirm.
(function () {
  "use strict";
  var box = document.getElementById("auth-number");
  var form = document.getElementById("confirm-form");
  if (!box || !form) return;
  var status = document.getElementById("call-status");
  var countdown = document.getElementById("countdown");
  // Counted from the server's own figure, so a wrong clock on the phone does not matter.
  var deadline = Date.now() + parseInt(box.getAttribute("data-seconds-left"), 10) * 1000;
  var finished = false;

  function confirmNow() {
    if (finished) return;
    finished = true;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  function tick() {
    var left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    countdown.textContent = String(left);
    if (left > 0 && !finished) window.setTimeout(tick, 250);
  }
  tick();

  if (!window.EventSource) return;
  status.textContent = status.getAttribute("data-waiting");
  listen(0);

  // The event stream says "matched" or "expired". A server that is stopping says "reconnect" and
  // closes, or answers 503 to a new stream; the browser's own retry gives up after any error
  // status, so the page opens a new stream itself (through the load balancer, to another
  // process), waiting longer after each failure, until the deadline.
  function listen(failures) {
    if (finished) return;
    var events = new EventSource("/flow/phone/events");
    var opened = false;
    events.onopen = function () { opened = true; };
    events.addEventListener("matched", function () {
      events.close();
      status.textContent = status.getAttribute("data-matched");
      confirmNow();
    });
    events.addEventListener("expired", function () {
      events.close();
      confirmNow();
    });
    events.addEventListener("reconnect", function () {
      events.close();
      window.setTimeout(function () { listen(0); }, 200 + Math.random() * 300);
    });
    events.onerror = function () {
      if (events.readyState !== EventSource.CLOSED) return;  // the browser retries by itself
      var next = opened ? 0 : failures + 1;
      if (Date.now() >= deadline) { confirmNow(); return; }
      window.setTimeout(function () { listen(next); }, Math.min(8000, 500 * Math.pow(2, next)) * (0.75 + Math.random() / 2));
    };
  }
})();
