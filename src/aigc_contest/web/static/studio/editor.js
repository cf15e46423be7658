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
  var state = JSON.parse(document.getElementById("studio-state").textContent);
  var selected = doc.start;
  var cy = null;
  var checkTimer = null;
  var jobsTimer = null;
  var dirty = false;  // changes not saved yet
  var handled = {};  // writing jobs whose text is already in this page's story
  (state.handled || []).forEach(function (id) { handled[id] = true; });
  var prompts = {};  // picture descriptions per part: {text, edited}
  var KEYWORDS = { and: 1, or: 1, not: 1, "true": 1, "false": 1 };
  var NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
  var CONDITION_CODES = { "condition-syntax": 1, "condition-type": 1, "undeclared-variable": 1, "bad-set": 1,
                          "read-before-set": 1 };

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
  // Map labels fit under their part: at most two short lines (wrapped by the map), the rest cut with "…".
  var LABEL_CHARS = 36;
  function shortLabel(text) {
    var chars = Array.from(String(text));
    return chars.length > LABEL_CHARS ? chars.slice(0, LABEL_CHARS - 1).join("").trim() + "…" : chars.join("");
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
      return { data: { id: n.id, label: shortLabel(n.title || n.id), full: label(n) },
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
          "font-size": 11, "text-valign": "bottom", "text-margin-y": 4, "text-wrap": "wrap", "text-max-width": 120, "text-overflow-wrap": "anywhere",
          "text-background-color": "#fbfcfe", "text-background-opacity": 0.85, "text-background-padding": 2 } },
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
    // A shortened label's full text: as the map's tooltip while the pointer is on the part.
    cy.on("mouseover", "node", function (event) { $("graph").title = event.target.data("full"); });
    cy.on("mouseout", "node", function () { $("graph").removeAttribute("title"); });
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
      link.title = label(n);
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
      item.appendChild(conditionField(choice, i));
      item.appendChild(setsField(node, choice, i));
      list.appendChild(item);
    });
    drawPicture(node);
    drawPrompt(node);
    markFields();
  }

  // ------------------------------------------------------------ conditions and changes of a choice
  function conditionField(choice, i) {
    var box = el("div", undefined, "choice-condition");
    var input = el("input");
    input.id = "choice-condition-" + i;
    input.maxLength = 500;
    input.value = choice.condition || "";
    input.placeholder = L.conditionHint;
    input.setAttribute("lang", "en");
    var caption = el("label", fmt(L.condition, { n: i + 1 }));
    caption.htmlFor = input.id;
    input.addEventListener("input", function () {
      var text = input.value.trim();
      if (text) choice.condition = input.value; else delete choice.condition;
      changed(false);
    });
    box.appendChild(caption);
    box.appendChild(input);
    return box;
  }

  function variableType(name) {
    var v = (doc.variables || {})[name];
    return v ? v.type : null;
  }

  function valueText(value) {
    return typeof value === "boolean" ? (value ? "true" : "false") : String(value);
  }

  function parseValue(type, text) {
    var t = text.trim();
    if (type === "int") {
      if (/^[+-][0-9]+$/.test(t)) return t;  // add or take away
      if (/^[0-9]+$/.test(t)) return parseInt(t, 10);
      return text;  // left as written: the checks say what is wrong
    }
    if (type === "bool") return t === "true";
    return text;
  }

  function renameKey(object, from, to) {
    var result = {};
    Object.keys(object).forEach(function (key) { result[key === from ? to : key] = object[key]; });
    return result;
  }

  function setsField(node, choice, i) {
    var box = el("div", undefined, "choice-sets");
    var caption = el("p", fmt(L.changes, { n: i + 1 }), "sets-caption");
    caption.id = "choice-sets-caption-" + i;
    box.appendChild(caption);
    var list = el("ul");
    list.setAttribute("aria-labelledby", caption.id);
    var names = Object.keys(doc.variables || {});
    Object.keys(choice.sets || {}).forEach(function (name, k) {
      var item = el("li", undefined, "row");
      var which = el("select");
      which.id = "choice-set-var-" + i + "-" + k;
      which.setAttribute("aria-label", L.changeVariable);
      var options = names.indexOf(name) < 0 ? names.concat([name]) : names;
      options.forEach(function (other) {
        var option = el("option", other);
        option.value = other;
        which.appendChild(option);
      });
      which.value = name;
      which.addEventListener("change", function () {
        if (which.value in choice.sets) { which.value = name; return; }
        choice.sets = renameKey(choice.sets, name, which.value);
        choice.sets[which.value] = parseValue(variableType(which.value), valueText(choice.sets[which.value]));
        changed(false);
        drawForm();
      });
      var value;
      if (variableType(name) === "bool") {
        value = el("select");
        [["true", L.yes], ["false", L.no]].forEach(function (pair) {
          var option = el("option", pair[1]);
          option.value = pair[0];
          value.appendChild(option);
        });
        value.value = choice.sets[name] === true ? "true" : "false";
        value.addEventListener("change", function () { choice.sets[name] = value.value === "true"; changed(false); });
      } else {
        value = el("input");
        value.maxLength = 200;
        value.value = valueText(choice.sets[name]);
        value.addEventListener("input", function () {
          choice.sets[name] = parseValue(variableType(name), value.value);
          changed(false);
        });
      }
      value.id = "choice-set-value-" + i + "-" + k;
      value.setAttribute("aria-label", L.changeValue);
      var remove = el("button", L.remove, "secondary");
      remove.type = "button";
      remove.setAttribute("aria-label", L.removeChange);
      remove.addEventListener("click", function () {
        delete choice.sets[name];
        if (!Object.keys(choice.sets).length) delete choice.sets;
        changed(false);
        drawForm();
      });
      item.appendChild(which);
      item.appendChild(el("span", "=", "sets-equals"));
      item.appendChild(value);
      item.appendChild(remove);
      list.appendChild(item);
    });
    box.appendChild(list);
    var add = el("button", "+", "secondary");
    add.type = "button";
    add.setAttribute("aria-label", fmt(L.addChange, { n: i + 1 }));
    add.addEventListener("click", function () {
      choice.sets = choice.sets || {};
      var free = names.filter(function (name) { return !(name in choice.sets); });
      if (!free.length) { status(L.noVariables); if (!Object.keys(choice.sets).length) delete choice.sets; return; }
      var type = variableType(free[0]);
      choice.sets[free[0]] = type === "bool" ? true : type === "int" ? "+1" : "";
      changed(false);
      drawForm();
    });
    box.appendChild(add);
    return box;
  }

  // ------------------------------------------------------------ variables
  function drawVariables() {
    var list = $("variable-list");
    list.textContent = "";
    doc.variables = doc.variables || {};
    Object.keys(doc.variables).forEach(function (name, k) {
      var variable = doc.variables[name];
      var n = k + 1;
      var item = el("li", undefined, "row");
      var nameInput = el("input");
      nameInput.id = "variable-name-" + k;
      nameInput.maxLength = 40;
      nameInput.value = name;
      nameInput.setAttribute("lang", "en");
      nameInput.setAttribute("aria-label", fmt(L.variableName, { n: n }));
      nameInput.addEventListener("change", function () {
        var fresh = nameInput.value.trim();
        if (fresh === name) return;
        if (!NAME_RE.test(fresh) || KEYWORDS[fresh] || fresh in doc.variables) {
          nameInput.setAttribute("aria-invalid", "true");
          status(L.badVariable);
          return;
        }
        doc.variables = renameKey(doc.variables, name, fresh);
        changed(false);
        drawVariables();
        drawForm();
      });
      var type = el("select");
      type.id = "variable-type-" + k;
      type.setAttribute("aria-label", fmt(L.variableType, { n: n }));
      ["bool", "int", "str"].forEach(function (key) {
        var option = el("option", L.types[key]);
        option.value = key;
        type.appendChild(option);
      });
      type.value = variable.type;
      type.addEventListener("change", function () {
        variable.type = type.value;
        delete variable.initial;  // a starting value of the old type would not fit
        changed(false);
        drawVariables();
        drawForm();
      });
      var initial;
      if (variable.type === "bool") {
        initial = el("select");
        [["", L.noStart], ["true", L.yes], ["false", L.no]].forEach(function (pair) {
          var option = el("option", pair[1]);
          option.value = pair[0];
          initial.appendChild(option);
        });
        initial.value = variable.initial === true ? "true" : variable.initial === false ? "false" : "";
        initial.addEventListener("change", function () {
          if (initial.value) variable.initial = initial.value === "true"; else delete variable.initial;
          changed(false);
        });
      } else {
        initial = el("input");
        if (variable.type === "int") { initial.type = "number"; initial.step = "1"; }
        initial.maxLength = 200;
        initial.placeholder = L.noStart;
        initial.value = variable.initial === undefined || variable.initial === null ? "" : String(variable.initial);
        initial.addEventListener("input", function () {
          var text = initial.value;
          if (variable.type === "int") {
            if (/^-?[0-9]+$/.test(text.trim())) variable.initial = parseInt(text, 10); else delete variable.initial;
          } else if (text) { variable.initial = text; } else { delete variable.initial; }
          changed(false);
        });
      }
      initial.id = "variable-initial-" + k;
      initial.setAttribute("aria-label", fmt(L.variableInitial, { n: n }));
      var remove = el("button", L.remove, "secondary");
      remove.type = "button";
      remove.setAttribute("aria-label", fmt(L.removeVariable, { n: n }));
      remove.addEventListener("click", function () {
        delete doc.variables[name];
        changed(false);
        drawVariables();
        drawForm();
      });
      item.appendChild(nameInput);
      item.appendChild(type);
      item.appendChild(initial);
      item.appendChild(remove);
      list.appendChild(item);
    });
  }

  $("add-variable").addEventListener("click", function () {
    doc.variables = doc.variables || {};
    var k = Object.keys(doc.variables).length + 1;
    while (("var" + k) in doc.variables) k++;
    doc.variables["var" + k] = { type: "int", initial: 0 };
    changed(false);
    drawVariables();
    drawForm();
    var inputs = $("variable-list").querySelectorAll("input[id^=variable-name-]");
    if (inputs.length) inputs[inputs.length - 1].focus();
  });

  // ------------------------------------------------------------ a part's picture
  function pictureSrc(illustration) {
    if (illustration.data_uri) return illustration.data_uri;
    var match = /^job-asset:([0-9]+)$/.exec(illustration.asset || "");
    return match ? root.dataset.pictureFileUrl.replace(/0\/$/, match[1] + "/") : null;
  }

  // A finished picture job for this part whose pictures are not the part's yet: its pictures stand where
  // the part's picture is, beside the old one, until the student keeps one (the old picture stays till then).
  function drawChoice(node) {
    var box = $("picture-choice");
    var options = $("picture-choice-options");
    options.textContent = "";
    var card = null;
    Array.prototype.forEach.call($("ai-jobs").querySelectorAll("article[data-step=picture]"), function (c) {
      if (c.dataset.node !== node.id || !c.querySelector("button[data-action=pick]")) return;
      if (!card || parseInt(c.dataset.studioJob, 10) > parseInt(card.dataset.studioJob, 10)) card = c;
    });
    var picks = card ? card.querySelectorAll("button[data-action=pick]") : [];
    var current = /^job-asset:([0-9]+)$/.exec((node.illustration && node.illustration.asset) || "");
    var kept = current && Array.prototype.some.call(picks, function (b) { return b.dataset.asset === current[1]; });
    if (!card || kept) { box.hidden = true; return false; }
    function option(src, alt, text, action, primary) {
      var holder = el("div", undefined, "choice-option");
      var img = el("img");
      img.src = src;
      img.alt = alt;
      var button = el("button", text, primary ? "" : "secondary");
      button.type = "button";
      Object.keys(action).forEach(function (key) { button.dataset[key] = action[key]; });
      holder.appendChild(img);
      holder.appendChild(button);
      options.appendChild(holder);
    }
    var oldSrc = node.illustration ? pictureSrc(node.illustration) : null;
    if (oldSrc) option(oldSrc, fmt(L.pictureNow, { title: label(node) }), L.keepOld,
                       { action: "hide", job: card.dataset.studioJob }, false);
    Array.prototype.forEach.call(picks, function (b, k) {
      option(b.querySelector("img").src, fmt(L.newPictureN, { n: k + 1, title: label(node) }),
             picks.length > 1 ? fmt(L.keepNewN, { n: k + 1 }) : L.keepNew,
             { action: "pick", job: b.dataset.job, node: b.dataset.node, asset: b.dataset.asset }, true);
    });
    box.hidden = false;
    return true;
  }

  function drawPicture(node) {
    var src = node.illustration ? pictureSrc(node.illustration) : null;
    var choosing = drawChoice(node);
    $("node-picture").hidden = !src || choosing;
    $("no-picture").hidden = !!src || choosing;
    $("remove-picture").hidden = !node.illustration;
    if (src) {
      $("node-picture-img").src = src;
      $("node-picture-img").alt = fmt(L.pictureOf, { title: label(node) });
    } else {
      $("node-picture-img").removeAttribute("src");
    }
  }

  function drawPrompt(node) {
    var box = $("picture-prompt");
    if (!box) return;
    var saved = prompts[node.id];
    if (saved) { box.value = saved.text; return; }
    box.value = "";
    suggestPrompt(node, false);
  }

  function suggestPrompt(node, force) {
    var box = $("picture-prompt");
    if (!box) return;
    post(root.dataset.picturePromptUrl, { title: node.title || "", text: node.text || "", style: $("picture-style").value })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var saved = prompts[node.id];
        if (saved && saved.edited && !force) return;
        prompts[node.id] = { text: data.prompt, edited: false };
        if (selected === node.id) box.value = data.prompt;
      }).catch(function () {});
  }

  $("remove-picture").addEventListener("click", function () {
    delete byId(selected).illustration;
    changed(false);
    drawPicture(byId(selected));
    status(L.pictureRemoved);
  });

  function select(id, focus) {
    selected = id;
    drawForm();
    drawList();
    if (cy) { cy.nodes().removeClass("chosen"); cy.getElementById(id).addClass("chosen"); }
    if (focus) $("node-title").focus();
  }

  function redraw() { drawList(); drawForm(); drawGraph(); }

  // ------------------------------------------------------------ checks
  var lastDefects = [];

  // The field of the part's form a defect is about (see defect_field in the novel kind).
  function defectTarget(d) {
    var c = d.choice;
    switch (d.field) {
      case "title": return $("node-title");
      case "text": return $("node-text");
      case "ending": return $("node-ending");
      case "label": return $("choice-label-" + c);
      case "target": return $("choice-target-" + c);
      case "condition": return $("choice-condition-" + c);
      case "sets": var caption = $("choice-sets-caption-" + c); return caption ? caption.parentNode : null;
      case "choices": return $("choice-list").parentNode;
    }
    return null;
  }

  // Mark the selected part's faulty fields (aria-invalid, an outline) and say why beside the form.
  function markFields() {
    var form = $("node-form");
    Array.prototype.forEach.call(form.querySelectorAll(".has-defect"), function (field) {
      field.classList.remove("has-defect");
      field.removeAttribute("aria-invalid");
      if (field.dataset.describedBy !== undefined) {
        if (field.dataset.describedBy) field.setAttribute("aria-describedby", field.dataset.describedBy);
        else field.removeAttribute("aria-describedby");
        delete field.dataset.describedBy;
      }
    });
    var box = $("node-defects");
    box.textContent = "";
    var mine = lastDefects.filter(function (d) { return d.node === selected; });
    box.hidden = mine.length === 0;
    mine.forEach(function (d, k) {
      var line = el("p", d.message);
      line.id = "node-defect-" + k;
      box.appendChild(line);
      var field = defectTarget(d);
      if (!field) return;
      field.classList.add("has-defect");
      if (/^(INPUT|SELECT|TEXTAREA)$/.test(field.tagName)) {
        field.setAttribute("aria-invalid", "true");
        if (field.dataset.describedBy === undefined) field.dataset.describedBy = field.getAttribute("aria-describedby") || "";
        field.setAttribute("aria-describedby", ((field.getAttribute("aria-describedby") || "") + " " + line.id).trim());
      }
    });
  }

  function focusDefect(d) {
    select(d.node, false);
    var field = defectTarget(d);
    if (field && !/^(INPUT|SELECT|TEXTAREA)$/.test(field.tagName)) field = field.querySelector("input, select, textarea, button");
    (field || $("node-title")).focus();
  }

  function showDefects(defects) {
    lastDefects = defects;
    var list = $("defects");
    list.textContent = "";
    $("defect-summary").textContent = defects.length ? fmt(L.defectCount, { n: defects.length }) : L.noDefects;
    defects.forEach(function (d) {
      var item = el("li");
      var node = d.node ? byId(d.node) : null;
      if (node) {
        var go = el("button", label(node) + ": " + d.message, "link");
        go.type = "button";
        go.addEventListener("click", function () { focusDefect(d); });
        item.appendChild(go);
      } else {
        item.textContent = d.message;
      }
      if (CONDITION_CODES[d.code]) item.appendChild(el("small", " — " + d.detail, "defect-detail"));
      item.title = d.detail;
      item.dataset.code = d.code;
      list.appendChild(item);
    });
    markFields();
  }

  function showCheckError(error) {
    $("defects").textContent = "";
    $("defect-summary").textContent = fmt(L.cannotCheck, { error: error });
  }

  function checkSoon() {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(function () {
      post(root.dataset.checkUrl, { document: doc }).then(function (response) {
        return response.json().then(function (data) {
          if (response.ok) showDefects(data.defects); else showCheckError(data.error);
        });
      }).catch(function () {});
    }, 400);
  }

  function changed(structural) {
    dirty = true;
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
  $("node-text").addEventListener("change", function () {
    var node = byId(selected);
    if (!prompts[node.id] || !prompts[node.id].edited) suggestPrompt(node, false);
  });
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
          dirty = false;
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
        if (response.ok) { lastPlayState = null; $("playtest").srcdoc = text; }
        else { status(fmt(L.saveFailed, { error: JSON.parse(text).error })); }
      });
    }).catch(function () { status(L.offline); });
  });

  // The play-test frame tells where the reader is and what the variables hold: shown beside it.
  var lastPlayState = null;
  function showPlayState(message) {
    var node = byId(message.node);
    var title = node ? (node.title || node.id) : String(message.node);
    $("play-where").textContent = fmt(message.ending ? L.playEnded : L.playAt, { title: title });
    var list = $("play-vars");
    list.textContent = "";
    var names = Object.keys(doc.variables || {});
    $("play-no-vars").hidden = names.length > 0;
    var state = message.state || {};
    names.forEach(function (name) {
      var value = state[name];
      var dd = el("dd", value === null || value === undefined ? L.noValue : valueText(value));
      if (lastPlayState && lastPlayState[name] !== value) dd.className = "changed";
      list.appendChild(el("dt", name));
      list.appendChild(dd);
    });
    lastPlayState = state;
  }
  window.addEventListener("message", function (event) {
    if (event.source !== $("playtest").contentWindow) return;
    var data = event.data;
    if (data && data.source === "aigc-player") showPlayState(data);
  });

  // ------------------------------------------------------------ the AI's jobs: writing and pictures
  function afterPost(response, onOk) {
    return response.json().then(function (data) {
      if (response.ok) onOk(data); else status(fmt(L.failed, { error: data.error }));
    });
  }

  function followJobs(now) {
    clearTimeout(jobsTimer);
    jobsTimer = setTimeout(tickJobs, now ? 0 : 1500);
  }

  function tickJobs() {
    fetch(root.dataset.jobsUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); })
      .then(function (data) {
        $("ai-jobs").innerHTML = data.html;  // rendered and escaped by the server
        if (byId(selected)) drawPicture(byId(selected));
        (data.texts || []).forEach(function (written) {
          if (handled[written.id]) return;
          handled[written.id] = true;
          bringText(written);
        });
        if (data.busy) followJobs(false);
      })
      .catch(function () { followJobs(false); });  // a hiccup: try again on the next tick
  }

  // The server put the new text into the saved story (revision r → r+1): the page makes the same change to
  // its own copy, so a save of the student's other edits is not refused as stale.
  function adopt(newRevision) {
    if (newRevision && revision === newRevision - 1) { revision = newRevision; return true; }
    dirty = true;
    return false;
  }

  function bringText(written) {
    var node = byId(written.node);
    if (!node) return;
    node.text = written.text;
    if (selected === node.id) $("node-text").value = written.text;
    status(adopt(written.revision) ? fmt(L.writtenSaved, { title: label(node) }) : L.written);
    checkSoon();
  }

  function onJobButton(event) {
    var button = event.target.closest("button[data-action]");
    if (!button) return;
    var job = parseInt(button.dataset.job, 10);
    if (button.dataset.action === "pick") {
      var node = byId(button.dataset.node);
      button.disabled = true;
      post(root.dataset.pickUrl, { node: button.dataset.node, asset: parseInt(button.dataset.asset, 10),
                                   alt: node ? node.title || "" : "" })
        .then(function (response) {
          return afterPost(response, function (data) {
            var target = byId(data.node);
            if (!target) return;
            target.illustration = data.illustration;
            var saved = adopt(data.revision);
            status(fmt(saved ? L.picked : L.pickedUnsaved, { title: label(target) }));
            if (selected === target.id) drawPicture(target);
          });
        })
        .catch(function () { status(L.offline); })
        .finally(function () { button.disabled = false; });
      return;
    }
    post(root.dataset.jobActionUrl, { job: job, action: button.dataset.action })
      .then(function (response) { return afterPost(response, function () { followJobs(true); }); })
      .catch(function () { status(L.offline); });
  }
  $("ai-jobs").addEventListener("click", onJobButton);
  $("picture-choice").addEventListener("click", onJobButton);

  var regenerate = $("regenerate");
  if (regenerate && root.dataset.regenerateUrl) {
    regenerate.addEventListener("click", function () {
      regenerate.disabled = true;
      post(root.dataset.regenerateUrl, { document: doc, node: selected })
        .then(function (response) {
          return afterPost(response, function () { status(L.writing); followJobs(true); });
        })
        .catch(function () { status(L.offline); })
        .finally(function () { regenerate.disabled = false; });
    });
  }

  var draw = $("draw-picture");
  if (draw && root.dataset.pictureUrl) {
    $("picture-prompt").addEventListener("input", function () {
      prompts[selected] = { text: this.value, edited: true };
    });
    $("picture-style").addEventListener("change", function () {
      Object.keys(prompts).forEach(function (id) { if (!prompts[id].edited) delete prompts[id]; });
      suggestPrompt(byId(selected), false);
    });
    $("suggest-prompt").addEventListener("click", function () { suggestPrompt(byId(selected), true); });
    draw.addEventListener("click", function () {
      var prompt = $("picture-prompt").value.trim();
      if (!prompt) { status(L.needPrompt); $("picture-prompt").focus(); return; }
      draw.disabled = true;
      post(root.dataset.pictureUrl, { node: selected, prompt: prompt })
        .then(function (response) {
          return afterPost(response, function () { status(L.drawing); followJobs(true); });
        })
        .catch(function () { status(L.offline); })
        .finally(function () { draw.disabled = false; });
    });
  }

  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); }
  });

  drawVariables();
  redraw();
  checkSoon();
  if (root.dataset.busy) followJobs(false);
})();
