// Screen ④: count down to the deadline, say at once why a call did not count, offer a new number
// when the time is up, and move on by itself the moment the call is matched.
// Without JavaScript the page still works: the customer presses Confirm.
(function () {
  "use strict";
  var box = document.getElementById("auth-number");
  var form = document.getElementById("confirm-form");
  if (!box || !form) return;
  var screen = document.getElementById("call-screen");
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

  // data-call-status: waiting | unregistered | withheld | expired; each has its words on the page.
  function show(callStatus) {
    screen.setAttribute("data-call-status", callStatus);
    ["unregistered", "withheld"].forEach(function (name) {
      document.getElementById("call-" + name).hidden = callStatus !== name;
    });
    var expired = callStatus === "expired";
    screen.querySelector(".call-waiting").hidden = expired;
    document.getElementById("call-expired").hidden = !expired;
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

  // The event stream says "refused" (a call that could not count; the page says why), then
  // "matched" or "expired" (the page offers a new number). A server that is stopping says "reconnect" and
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
    events.addEventListener("refused", function (event) {
      show(JSON.parse(event.data).status);
    });
    events.addEventListener("expired", function () {
      events.close();
      finished = true;
      show("expired");
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
