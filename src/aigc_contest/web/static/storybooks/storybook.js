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
        setUpMoving();
        // The first pages arrive with the book: the book-level sections come with a full reload.
        if (old.querySelector("[data-testid=no-pages]") && !fresh.querySelector("[data-testid=no-pages]")) {
          window.location.reload();
        }
      });
  }

  // ---------------------------------------------------------------- moving pages
  // Without this script every page has Move up / Move down forms (posted with the book's revision);
  // with it, a page is dragged by its handle, and the same buttons move it without reloading.
  function pagesRoot() { return document.getElementById("pages"); }

  function notify(text) {
    var notice = document.getElementById("sb-notice");
    notice.textContent = text;
    notice.hidden = !text;
  }

  function postOrder(body) {
    var holder = pagesRoot();
    var csrf = holder.querySelector("input[name=csrfmiddlewaretoken]");
    body.append("revision", holder.getAttribute("data-revision"));
    return fetch(holder.getAttribute("data-edit-url"), {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "X-Requested-With": "fetch", "X-CSRFToken": csrf ? csrf.value : "" }
    }).then(function (response) {
      return response.json().then(function (data) {
        if (data.ok) {
          root.setAttribute("data-revision", String(data.revision));
          var status = document.getElementById("sb-order-status");
          if (status) status.textContent = holder.getAttribute("data-moved-label");
          notify("");
        } else {
          notify(data.message);
        }
        return refreshPages();
      });
    }).catch(function () { window.location.reload(); });
  }

  function sendOrder() {
    var ids = Array.prototype.map.call(pagesRoot().querySelectorAll(".sb-spread"), function (el) {
      return el.getAttribute("data-page-id");
    });
    var body = new FormData();
    body.append("op", "order");
    body.append("order", ids.join(","));
    return postOrder(body);
  }

  var dragged = null;

  function clearMarks() {
    Array.prototype.forEach.call(document.querySelectorAll(".sb-drop-before, .sb-drop-after"), function (el) {
      el.classList.remove("sb-drop-before", "sb-drop-after");
    });
  }

  function setUpMoving() {
    var holder = pagesRoot();
    if (!holder || !holder.getAttribute("data-edit-url")) return;
    var help = document.getElementById("sb-drag-help");
    if (help) help.textContent = holder.getAttribute("data-drag-help");
    Array.prototype.forEach.call(holder.querySelectorAll(".sb-spread"), function (spread) {
      var handle = spread.querySelector(".sb-handle");
      if (!handle) return;
      // Only the handle is dragged (the spread goes with it), so words can still be selected in the boxes.
      handle.setAttribute("draggable", "true");
      handle.addEventListener("dragstart", function (event) {
        dragged = spread;
        spread.classList.add("sb-dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", spread.getAttribute("data-page-id"));
        if (event.dataTransfer.setDragImage) event.dataTransfer.setDragImage(spread, 20, 20);
      });
      handle.addEventListener("dragend", function () {
        spread.classList.remove("sb-dragging");
        clearMarks();
        dragged = null;
      });
      spread.addEventListener("dragover", function (event) {
        if (!dragged || dragged === spread) return;
        event.preventDefault();
        var box = spread.getBoundingClientRect();
        var before = event.clientY < box.top + box.height / 2;
        clearMarks();
        spread.classList.add(before ? "sb-drop-before" : "sb-drop-after");
      });
      spread.addEventListener("drop", function (event) {
        if (!dragged || dragged === spread) return;
        event.preventDefault();
        var before = spread.classList.contains("sb-drop-before");
        clearMarks();
        spread.parentNode.insertBefore(dragged, before ? spread : spread.nextSibling);
        sendOrder();
      });
    });
    Array.prototype.forEach.call(holder.querySelectorAll("form.sb-move"), function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var pageId = form.querySelector("input[name=page]").value;
        var offset = form.querySelector("input[name=offset]").value;
        var spread = document.getElementById("page-" + pageId);
        var sibling = offset === "-1" ? spread.previousElementSibling : spread.nextElementSibling;
        if (sibling && sibling.classList.contains("sb-spread")) {
          spread.parentNode.insertBefore(spread, offset === "-1" ? sibling : sibling.nextSibling);
        }
        var body = new FormData();
        body.append("op", "move");
        body.append("page", pageId);
        body.append("offset", offset);
        postOrder(body).then(function () {
          // Keep the keyboard where it was: on the same page's same button (or its other move button).
          spread = document.getElementById("page-" + pageId);
          if (!spread) return;
          var button = spread.querySelector("button[data-move='" + offset + "']") ||
            spread.querySelector("button[data-move]");
          if (button) button.focus();
        });
      });
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

  function init() { setUpMoving(); schedule(); }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
