// Simple steps: each screen starts at its heading (so a screen reader says the step), and the waiting
// screen follows the pictures by itself, then shows them. Everything works without this script too.
(function () {
  "use strict";
  var INTERVAL_MS = 1500;

  function follow(waiting) {
    var url = waiting.getAttribute("data-progress-url");
    var bar = waiting.querySelector("progress");
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
        .then(function (state) {
          if (bar) { bar.value = state.percent; bar.textContent = state.percent + "%"; }
          if (state.final) window.location.reload();
          else window.setTimeout(tick, INTERVAL_MS);
        })
        .catch(function () { window.setTimeout(tick, INTERVAL_MS * 2); });
    }
    window.setTimeout(tick, INTERVAL_MS);
  }

  function start() {
    var heading = document.getElementById("step-heading");
    if (heading && !document.querySelector(".simple [role=alert]")) heading.focus({ preventScroll: true });
    var waiting = document.getElementById("waiting");
    if (waiting) follow(waiting);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
