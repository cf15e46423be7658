// Studio start page: follow the AI's first draft and open the story as soon as it is ready.
// The server renders the progress card; this script only swaps it in.
(function () {
  "use strict";
  var INTERVAL_MS = 1500;
  var holder = document.getElementById("draft-holder");
  if (!holder) return;

  function busy() { return !!holder.querySelector("[data-busy]"); }

  function tick() {
    fetch(holder.getAttribute("data-status-url"), { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (data) {
        if (data.ready) { window.location.reload(); return; }
        holder.innerHTML = data.html;
        if (busy()) schedule();
      })
      .catch(function () { schedule(); });  // a hiccup: try again on the next tick
  }

  function schedule() { window.setTimeout(tick, INTERVAL_MS); }

  if (busy()) schedule();
})();
