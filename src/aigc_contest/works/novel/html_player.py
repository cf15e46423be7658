"""A novel as one self-contained, playable HTML file.

Safety: the story never becomes markup. It travels as JSON in ``<script type="application/json">``
with ``<``, ``>``, ``&`` and line separators written as ``\\uXXXX``; the small player below reads it and
builds the page with ``textContent`` only. Images are inline ``data:image/...`` URIs, and a
Content-Security-Policy allows no network access and no script but the player itself (by hash).
Conditions travel pre-parsed (syntax trees), so the player needs no expression parser.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aigc_contest.works.novel.conditions import ConditionError, check_types, parse_condition, parse_set
from aigc_contest.works.novel.engine import DEFAULTS
from aigc_contest.works.novel.model import DATA_URI_RE, Novel

AssetReader = Callable[[str], bytes | None]

_LABELS = {
    "en": {
        "back": "Back",
        "restart": "Start again",
        "end": "The End",
        "missing": "This path is not written yet.",
    },
    "zh-Hant": {"back": "返回", "restart": "重新開始", "end": "完", "missing": "這條路還沒有寫好。"},
    "zh-Hans": {"back": "返回", "restart": "重新开始", "end": "完", "missing": "这条路还没有写好。"},
}

PLAYER_JS = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("story-data").textContent);
  var nodes = {};
  data.nodes.forEach(function (n) { nodes[n.id] = n; });
  var main = document.getElementById("story");
  var backButton = document.getElementById("back");
  var restartButton = document.getElementById("restart");
  var state = {}, current = null, history = [];

  function truthy(v) { return !!v; }
  function ev(t) {
    switch (t[0]) {
      case "lit": return t[1];
      case "var": return state[t[1]];
      case "not": return !truthy(ev(t[1]));
      case "neg": return -ev(t[1]);
      case "and": return truthy(ev(t[1])) && truthy(ev(t[2]));
      case "or": return truthy(ev(t[1])) || truthy(ev(t[2]));
      case "arith": return t[1] === "+" ? ev(t[2]) + ev(t[3]) : ev(t[2]) - ev(t[3]);
      case "cmp":
        var a = ev(t[2]), b = ev(t[3]);
        switch (t[1]) {
          case "==": return a === b; case "!=": return a !== b;
          case "<": return a < b; case "<=": return a <= b;
          case ">": return a > b; case ">=": return a >= b;
        }
    }
    return false;
  }
  function available(choice) {
    if (choice.condition === false) return false;
    return choice.condition === null || truthy(ev(choice.condition));
  }
  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function render() {
    main.textContent = "";
    var node = nodes[current];
    if (!node) { main.appendChild(el("p", "missing", data.labels.missing)); }
    else {
      if (node.title) main.appendChild(el("h2", "", node.title));
      if (node.image && node.image.src.indexOf("data:image/") === 0) {
        var img = el("img", "illustration");
        img.src = node.image.src;
        img.alt = node.image.alt;
        main.appendChild(img);
      }
      node.text.split(/\n\s*\n/).forEach(function (para) {
        if (!para.trim()) return;
        var p = el("p");
        para.split("\n").forEach(function (line, i) {
          if (i) p.appendChild(document.createElement("br"));
          p.appendChild(document.createTextNode(line));
        });
        main.appendChild(p);
      });
      if (node.ending) main.appendChild(el("p", "ending ending-" + node.ending, data.labels.end));
      var list = el("div", "choices");
      node.choices.forEach(function (choice) {
        if (!available(choice)) return;
        var button = el("button", "choice", choice.label);
        button.type = "button";
        button.addEventListener("click", function () { choose(choice); });
        list.appendChild(button);
      });
      main.appendChild(list);
    }
    backButton.disabled = history.length === 0;
    window.scrollTo(0, 0);
    tell(node);
  }
  // Shown in a play-test frame, the player tells the editor where the reader is and what the variables
  // hold (plain data only; the editor shows it with textContent).
  function tell(node) {
    if (window.parent === window) return;
    try {
      window.parent.postMessage({ source: "aigc-player", node: current, ending: node ? node.ending || null : null,
                                  state: JSON.parse(JSON.stringify(state)) }, "*");
    } catch (e) { /* a closed parent: nothing to tell */ }
  }
  function choose(choice) {
    history.push({ node: current, state: JSON.stringify(state) });
    choice.sets.forEach(function (op) {
      state[op[0]] = op[1] === "add" ? state[op[0]] + op[2] : op[2];
    });
    current = choice.target;
    render();
  }
  function start() {
    state = {};
    data.variables.forEach(function (v) { state[v.name] = v.initial; });
    history = [];
    current = data.start;
    render();
  }
  backButton.addEventListener("click", function () {
    var last = history.pop();
    if (!last) return;
    current = last.node;
    state = JSON.parse(last.state);
    render();
  });
  restartButton.addEventListener("click", start);
  start();
})();
""".strip()

CSS = """
body { font-family: system-ui, "Noto Sans CJK SC", "Noto Sans CJK TC", sans-serif; max-width: 42rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.6; background: #fffdf7; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; }
.illustration { max-width: 100%; border-radius: 8px; }
.choices { display: flex; flex-direction: column; gap: .5rem; margin: 1.5rem 0; }
.choice { font-size: 1.05rem; padding: .7rem 1rem; text-align: left; border-radius: 8px;
          border: 2px solid #4a6fa5; background: #eef3fb; cursor: pointer; }
.choice:hover, .choice:focus { background: #dbe6f7; }
.ending { font-weight: bold; font-size: 1.2rem; text-align: center; }
nav { display: flex; gap: .5rem; } nav button { padding: .4rem .8rem; }
""".strip()


def embed_json(data: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: no ``<``, ``>``, ``&`` or line separators."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


def sniff_image(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def folder_assets(folder: str | Path) -> AssetReader:
    """Read illustration assets from files inside ``folder`` (never outside it)."""
    root = Path(folder).resolve()

    def read(asset: str) -> bytes | None:
        path = (root / asset).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return None
        return path.read_bytes()

    return read


def player_data(
    novel: Novel, assets: AssetReader | None = None, notes: list[str] | None = None
) -> dict[str, Any]:
    types = {name: var.type for name, var in novel.variables.items()}
    nodes = []
    for node in novel.nodes:
        image = None
        if node.illustration is not None:
            src = node.illustration.data_uri
            if src is None and node.illustration.asset and assets is not None:
                raw = assets(node.illustration.asset)
                mime = sniff_image(raw) if raw else None
                if raw and mime:
                    src = f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"
            if src and DATA_URI_RE.match(src):
                image = {"src": src, "alt": node.illustration.alt}
            elif notes is not None:
                notes.append(f"{node.id}: illustration {node.illustration.asset!r} could not be inlined")
        choices = []
        for choice in node.choices:
            condition: Any = None
            if choice.condition is not None:
                try:
                    condition = parse_condition(choice.condition)
                    check_types(condition, types)
                except ConditionError:
                    condition = False  # a broken condition never shows its choice
            sets = []
            for var, value in choice.sets.items():
                try:
                    op = parse_set(var, value, types.get(var))
                except ConditionError:
                    continue
                sets.append([op.var, op.mode, op.value])
            choices.append(
                {"label": choice.label, "target": choice.target, "condition": condition, "sets": sets}
            )
        nodes.append({"id": node.id, "title": node.title, "text": node.text, "image": image,
                      "ending": node.ending, "choices": choices})  # fmt: skip
    return {
        "title": novel.title,
        "start": novel.start,
        "labels": _LABELS[novel.language],
        "variables": [
            {"name": name, "initial": var.initial if var.initial is not None else DEFAULTS[var.type]}
            for name, var in novel.variables.items()
        ],
        "nodes": nodes,
    }


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def player_hash_sources() -> dict[str, str]:
    """CSP sources for the player's own script and stylesheet. A page that shows a player in a `srcdoc`
    frame names them in its policy: such a frame is under its parent's policy as well as its own."""
    return {"script-src": f"'sha256-{_sha256(PLAYER_JS)}'", "style-src": f"'sha256-{_sha256(CSS)}'"}


def write_html(novel: Novel, assets: AssetReader | None = None, notes: list[str] | None = None) -> str:
    data = player_data(novel, assets, notes)
    script_hash = _sha256(PLAYER_JS)
    csp = f"default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'"
    labels = data["labels"]
    title = html.escape(novel.title or "Interactive novel")
    byline = f'<p class="author">{html.escape(novel.author)}</p>' if novel.author else ""
    return f"""<!DOCTYPE html>
<html lang="{html.escape(novel.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="generator" content="aigc-contest">
<title>{title}</title>
<style>{CSS}</style>
</head>
<body>
<header><h1>{title}</h1>{byline}</header>
<nav><button type="button" id="back">{html.escape(labels["back"])}</button><button type="button" id="restart">{html.escape(labels["restart"])}</button></nav>
<main id="story" aria-live="polite"></main>
<script type="application/json" id="story-data">{embed_json(data)}</script>
<script>{PLAYER_JS}</script>
</body>
</html>
"""
