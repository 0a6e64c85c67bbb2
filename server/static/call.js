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
  var events = new EventSource("/flow/phone/events");
  events.addEventListener("matched", function () {
    events.close();
    status.textContent = status.getAttribute("data-matched");
    confirmNow();
  });
  events.addEventListener("expired", function () {
    events.close();
    confirmNow();
  });
})();
