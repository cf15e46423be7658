// Storybook studio: follow the book's jobs live and bring in new pages and pictures as they arrive.
// The server renders every string and every piece of markup; this script only swaps fragments in.
(function () {
  "use strict";
  var INTERVAL_MS = 1500;
  var root = document.getElementById("storybook");
  if (!root) return;
  var dirty = false;  // the student is typing: never replace the pages under their hands

  document.addEventListener("input", function (event) {
    if (event.target.closest && event.target.closest("#pages")) dirty = true;
  });

  function get(url) {
    return fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response : Promise.reject(response.status); });
  }

  function refreshPages() {
    if (dirty) {
      var notice = document.getElementById("sb-notice");
      notice.textContent = root.getAttribute("data-changed-label");
      notice.hidden = false;
      return Promise.resolve();
    }
    return get(root.getAttribute("data-pages-url")).then(function (response) { return response.text(); })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html.trim();
        var fresh = holder.firstElementChild;
        var old = document.getElementById("pages");
        if (!fresh || !old) return;
        old.replaceWith(fresh);
        // The first pages arrive with the book: the book-level sections come with a full reload.
        if (old.querySelector("[data-testid=no-pages]") && !fresh.querySelector("[data-testid=no-pages]")) {
          window.location.reload();
        }
      });
  }

  function tick() {
    get(root.getAttribute("data-status-url")).then(function (response) { return response.json(); })
      .then(function (data) {
        document.getElementById("live-progress").innerHTML = data.html;
        var changed = String(data.revision) !== root.getAttribute("data-revision");
        root.setAttribute("data-revision", String(data.revision));
        var next = changed ? refreshPages() : Promise.resolve();
        return next.then(function () { if (data.busy || changed) schedule(); });
      })
      .catch(function () { schedule(); });  // a hiccup: try again on the next tick
  }

  function schedule() { window.setTimeout(tick, INTERVAL_MS); }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", schedule);
  else schedule();
})();
