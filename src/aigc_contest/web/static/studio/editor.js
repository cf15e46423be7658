/* The novel editor: keeps the story document in memory, draws its map with cytoscape, edits one part at a
   time, saves with a revision number, shows the validator's checks and plays the story in a sandboxed frame.
   Every piece of story text reaches the page through textContent or form values, never as markup. */
(function () {
  "use strict";
  var root = document.getElementById("studio");
  if (!root) return;
  var doc = JSON.parse(document.getElementById("studio-document").textContent);
  var L = JSON.parse(document.getElementById("studio-labels").textContent);
  var revision = parseInt(root.dataset.revision, 10);
  var csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;
  var selected = doc.start;
  var cy = null;
  var checkTimer = null;

  function $(id) { return document.getElementById(id); }
  function fmt(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return String(values[key]); });
  }
  function el(tag, text, className) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (className) e.className = className;
    return e;
  }
  function byId(id) {
    for (var i = 0; i < doc.nodes.length; i++) if (doc.nodes[i].id === id) return doc.nodes[i];
    return null;
  }
  function label(node) { return node.title ? node.title + " (" + node.id + ")" : node.id; }
  function status(text) { $("save-status").textContent = text; }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    });
  }

  // ------------------------------------------------------------ map and list
  function drawGraph() {
    if (typeof cytoscape === "undefined") return;
    var ids = {};
    doc.nodes.forEach(function (n) { ids[n.id] = true; });
    var elements = doc.nodes.map(function (n) {
      return { data: { id: n.id, label: n.title || n.id },
               classes: (n.ending ? "ending " : "") + (n.id === doc.start ? "start " : "") + (n.id === selected ? "chosen" : "") };
    });
    doc.nodes.forEach(function (n) {
      (n.choices || []).forEach(function (c, i) {
        if (ids[c.target]) elements.push({ data: { id: "edge:" + n.id + ":" + i, source: n.id, target: c.target } });
      });
    });
    if (cy) cy.destroy();
    cy = cytoscape({
      container: $("graph"),
      elements: elements,
      style: [
        { selector: "node", style: { "label": "data(label)", "background-color": "#4a6fa5", "color": "#102a43",
          "font-size": 11, "text-valign": "bottom", "text-margin-y": 4, "text-wrap": "ellipsis", "text-max-width": 90 } },
        { selector: "node.start", style: { "border-width": 4, "border-color": "#f0b429" } },
        { selector: "node.ending", style: { "shape": "round-rectangle", "background-color": "#2f8a4e" } },
        { selector: "node.chosen", style: { "background-color": "#d9480f" } },
        { selector: "edge", style: { "width": 2, "line-color": "#9fb3c8", "target-arrow-color": "#9fb3c8",
          "target-arrow-shape": "triangle", "curve-style": "bezier" } }
      ],
      layout: { name: "breadthfirst", directed: true, spacingFactor: 1.4,
                roots: byId(doc.start) ? [doc.start] : undefined },
      wheelSensitivity: 0.3
    });
    cy.on("tap", "node", function (event) { select(event.target.id(), false); });
  }

  function drawList() {
    var list = $("node-list");
    list.textContent = "";
    doc.nodes.forEach(function (n) {
      var item = el("li");
      var link = el("a", n.title || n.id);
      link.href = "#node-form";
      link.dataset.node = n.id;
      link.setAttribute("aria-label", fmt(L.goTo, { title: label(n) }));
      if (n.id === selected) link.setAttribute("aria-current", "true");
      link.addEventListener("click", function (event) { event.preventDefault(); select(n.id, true); });
      item.appendChild(link);
      if (n.id === doc.start) item.appendChild(el("span", L.start, "badge"));
      if (n.ending) item.appendChild(el("span", L.endings[n.ending] || L.ending, "badge"));
      list.appendChild(item);
    });
  }

  // ------------------------------------------------------------ one part's form
  function drawForm() {
    var node = byId(selected);
    if (!node) { selected = doc.nodes.length ? doc.nodes[0].id : null; node = byId(selected); }
    if (!node) return;
    $("node-id").textContent = node.id;
    $("node-title").value = node.title || "";
    $("node-text").value = node.text || "";
    $("node-ending").value = node.ending || "";
    var list = $("choice-list");
    list.textContent = "";
    (node.choices || []).forEach(function (choice, i) {
      var n = i + 1;
      var item = el("li");
      var row = el("div", undefined, "row");
      var words = el("input");
      words.id = "choice-label-" + i;
      words.maxLength = 200;
      words.value = choice.label;
      var wordsLabel = el("label", fmt(L.choiceWords, { n: n }), "visually-hidden");
      wordsLabel.htmlFor = words.id;
      words.addEventListener("input", function () { choice.label = words.value; changed(false); });
      var target = el("select");
      target.id = "choice-target-" + i;
      var targetLabel = el("label", fmt(L.leadsTo, { n: n }), "visually-hidden");
      targetLabel.htmlFor = target.id;
      doc.nodes.forEach(function (other) {
        var option = el("option", label(other));
        option.value = other.id;
        target.appendChild(option);
      });
      if (!byId(choice.target)) {
        var missing = el("option", fmt(L.missing, { id: choice.target }));
        missing.value = choice.target;
        target.appendChild(missing);
      }
      target.value = choice.target;
      target.addEventListener("change", function () { choice.target = target.value; changed(true); });
      var remove = el("button", L.remove, "secondary");
      remove.type = "button";
      remove.setAttribute("aria-label", fmt(L.removeChoice, { n: n }));
      remove.addEventListener("click", function () {
        node.choices.splice(i, 1);
        changed(true);
        drawForm();
      });
      row.appendChild(wordsLabel);
      row.appendChild(words);
      row.appendChild(targetLabel);
      row.appendChild(target);
      row.appendChild(remove);
      item.appendChild(row);
      list.appendChild(item);
    });
  }

  function select(id, focus) {
    selected = id;
    drawForm();
    drawList();
    if (cy) { cy.nodes().removeClass("chosen"); cy.getElementById(id).addClass("chosen"); }
    if (focus) $("node-title").focus();
  }

  function redraw() { drawList(); drawForm(); drawGraph(); }

  // ------------------------------------------------------------ checks
  function showDefects(defects) {
    var list = $("defects");
    list.textContent = "";
    $("defect-summary").textContent = defects.length ? fmt(L.defectCount, { n: defects.length }) : L.noDefects;
    defects.forEach(function (d) {
      var item = el("li");
      var node = d.node ? byId(d.node) : null;
      if (node) {
        var go = el("button", label(node) + ": " + d.message, "link");
        go.type = "button";
        go.addEventListener("click", function () { select(node.id, true); });
        item.appendChild(go);
      } else {
        item.textContent = d.message;
      }
      item.title = d.detail;
      item.dataset.code = d.code;
      list.appendChild(item);
    });
  }

  function checkSoon() {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(function () {
      post(root.dataset.checkUrl, { document: doc }).then(function (response) {
        return response.json().then(function (data) { if (response.ok) showDefects(data.defects); });
      }).catch(function () {});
    }, 400);
  }

  function changed(structural) {
    status(L.unsaved);
    if (structural) { drawList(); drawGraph(); }
    checkSoon();
  }

  // ------------------------------------------------------------ editing
  $("node-title").addEventListener("input", function () {
    byId(selected).title = this.value;
    changed(false);
  });
  $("node-title").addEventListener("change", function () { drawList(); drawGraph(); });
  $("node-text").addEventListener("input", function () { byId(selected).text = this.value; changed(false); });
  $("node-ending").addEventListener("change", function () {
    var node = byId(selected);
    if (this.value) node.ending = this.value; else delete node.ending;
    changed(true);
  });
  $("story-title").value = doc.title || "";
  $("story-title").addEventListener("input", function () { doc.title = this.value; changed(false); });
  $("add-choice").addEventListener("click", function () {
    var node = byId(selected);
    node.choices = node.choices || [];
    var target = doc.nodes.filter(function (n) { return n.id !== node.id; })[0] || node;
    node.choices.push({ label: L.newChoice, target: target.id });
    changed(true);
    drawForm();
    $("choice-label-" + (node.choices.length - 1)).focus();
  });
  $("set-start").addEventListener("click", function () { doc.start = selected; changed(true); });
  $("delete-node").addEventListener("click", function () {
    if (selected === doc.start) { status(L.cannotDeleteStart); return; }
    var gone = selected;
    doc.nodes = doc.nodes.filter(function (n) { return n.id !== gone; });
    doc.nodes.forEach(function (n) {
      n.choices = (n.choices || []).filter(function (c) { return c.target !== gone; });
    });
    selected = doc.start;
    redraw();
    checkSoon();
    status(L.deleted);
  });
  $("add-node-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = $("new-node-id");
    var id = input.value.trim();
    if (!/^[A-Za-z0-9_\-]{1,40}$/.test(id) || byId(id)) { status(L.badId); input.focus(); return; }
    doc.nodes.push({ id: id, title: id, text: "", choices: [] });
    input.value = "";
    selected = id;
    redraw();
    checkSoon();
    $("node-title").focus();
  });

  // ------------------------------------------------------------ save, play, regenerate
  $("save").addEventListener("click", function () {
    status(L.saving);
    post(root.dataset.documentUrl, { document: doc, revision: revision }).then(function (response) {
      return response.json().then(function (data) {
        if (response.ok) {
          revision = data.revision;
          status(fmt(L.saved, { n: revision }));
          showDefects(data.defects);
        } else {
          status(fmt(L.saveFailed, { error: data.error }));
        }
      });
    }).catch(function () { status(L.offline); });
  });

  $("play").addEventListener("click", function () {
    post(root.dataset.playerUrl, { document: doc }).then(function (response) {
      return response.text().then(function (text) {
        if (response.ok) { $("playtest").srcdoc = text; }
        else { status(fmt(L.saveFailed, { error: JSON.parse(text).error })); }
      });
    }).catch(function () { status(L.offline); });
  });

  var regenerate = $("regenerate");
  if (regenerate && root.dataset.regenerateUrl) {
    regenerate.addEventListener("click", function () {
      var node = selected;
      status(L.writing);
      regenerate.disabled = true;
      post(root.dataset.regenerateUrl, { document: doc, node: node }).then(function (response) {
        return response.json().then(function (data) {
          if (response.ok) {
            byId(node).text = data.text;
            if (selected === node) $("node-text").value = data.text;
            status(L.written);
            checkSoon();
          } else {
            status(fmt(L.saveFailed, { error: data.error }));
          }
        });
      }).catch(function () { status(L.offline); }).finally(function () { regenerate.disabled = false; });
    });
  }

  window.addEventListener("beforeunload", function (event) {
    if ($("save-status").textContent === L.unsaved) { event.preventDefault(); }
  });

  redraw();
  checkSoon();
})();
