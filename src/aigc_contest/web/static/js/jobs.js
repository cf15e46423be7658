// Live job progress: every element with data-poll-url is re-fetched (server-rendered HTML) until the
// job is final, when the server stops sending data-poll-url. No library needed.
(function () {
  "use strict";
  var INTERVAL_MS = 1500;

  function poll(element) {
    var url = element.getAttribute("data-poll-url");
    if (!url) return;
    window.setTimeout(function () {
      fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html.trim();
          var fresh = holder.firstElementChild;
          if (!fresh) return;
          element.replaceWith(fresh);
          poll(fresh);
        })
        .catch(function () { poll(element); });  // a hiccup: try again on the next tick
    }, INTERVAL_MS);
  }

  function start() {
    document.querySelectorAll("[data-poll-url]").forEach(poll);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
