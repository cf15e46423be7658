"""One self-contained HTML file: images inline, page navigation, read-aloud with the browser's voices.

The file needs no network and no other files. A Content-Security-Policy with a per-file nonce lets only
this file's own style and script run: even if markup ever slipped into the page, it could not execute.
Without JavaScript every page is simply shown one after another.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from aigc_contest.works.storybook.model import Storybook
from aigc_contest.works.storybook.render import (
    FONT_SIZE_PT,
    LABELS,
    SANS,
    SERIF,
    SPEECH_LANG,
    TEXT_WRAP_CSS,
    ImagePreparer,
    attr,
    cover_lines,
    paragraphs,
    text,
)

_SCRIPT = """
(function () {
  var root = document.documentElement;
  root.classList.add("js");
  var sheets = Array.prototype.slice.call(document.querySelectorAll(".sheet"));
  var counter = document.getElementById("counter");
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");
  var speak = document.getElementById("speak");
  var current = 0;
  var synth = window.speechSynthesis;
  var speechLang = root.getAttribute("data-speech-lang");

  function show(index) {
    current = Math.max(0, Math.min(sheets.length - 1, index));
    sheets.forEach(function (sheet, i) { sheet.classList.toggle("current", i === current); });
    counter.textContent = (current + 1) + " / " + sheets.length;
    prev.disabled = current === 0;
    next.disabled = current === sheets.length - 1;
    if (synth) { synth.cancel(); speak.textContent = speak.getAttribute("data-read"); }
    if (history.replaceState) { history.replaceState(null, "", "#" + sheets[current].id); }
  }

  function pickVoice() {
    var voices = synth.getVoices();
    var wanted = speechLang.toLowerCase();
    var primary = wanted.split("-")[0];
    var normal = function (v) { return v.lang.toLowerCase().replace("_", "-"); };
    return voices.find(function (v) { return normal(v) === wanted; }) ||
      voices.find(function (v) { return normal(v).indexOf(wanted) === 0; }) ||
      voices.find(function (v) { return normal(v).split("-")[0] === primary; }) || null;
  }

  function readAloud() {
    if (synth.speaking) { synth.cancel(); speak.textContent = speak.getAttribute("data-read"); return; }
    var source = sheets[current].querySelector(".read") || sheets[current];
    var utterance = new SpeechSynthesisUtterance(source.innerText || source.textContent);
    utterance.lang = speechLang;
    var voice = pickVoice();
    if (voice) { utterance.voice = voice; }
    utterance.rate = 0.9;
    utterance.onend = function () { speak.textContent = speak.getAttribute("data-read"); };
    speak.textContent = speak.getAttribute("data-stop");
    synth.speak(utterance);
  }

  prev.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  if (synth && window.SpeechSynthesisUtterance) {
    speak.addEventListener("click", readAloud);
    if (synth.onvoiceschanged !== undefined) { synth.onvoiceschanged = function () {}; }
  } else {
    speak.hidden = true;
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "ArrowRight" || event.key === "PageDown") { show(current + 1); }
    if (event.key === "ArrowLeft" || event.key === "PageUp") { show(current - 1); }
  });
  var start = sheets.findIndex(function (s) { return "#" + s.id === location.hash; });
  show(start < 0 ? 0 : start);
})();
"""


def _css(book: Storybook) -> str:
    return f"""
html {{ font-family: {SANS[book.language]}; font-size: {FONT_SIZE_PT[book.age_band] + 2}px; line-height: 1.7;
  color: #222; background: #f4efe6; }}
body {{ margin: 0; }}
{TEXT_WRAP_CSS}
.toolbar {{ position: sticky; top: 0; display: flex; gap: 0.5rem; align-items: center; justify-content: center;
  padding: 0.5rem; background: #fffaf0; border-bottom: 1px solid #e2d8c6; z-index: 1; }}
.toolbar button {{ font: inherit; font-size: 1rem; padding: 0.4rem 1rem; border-radius: 999px;
  border: 1px solid #b9a98e; background: white; cursor: pointer; min-width: 3rem; }}
.toolbar button:disabled {{ opacity: 0.4; cursor: default; }}
#counter {{ min-width: 4rem; text-align: center; }}
html:not(.js) .toolbar {{ display: none; }}
main {{ max-width: 46rem; margin: 0 auto; padding: 1rem; }}
.sheet {{ background: white; border-radius: 1rem; padding: 1.5rem; margin: 0 0 1.5rem;
  box-shadow: 0 2px 10px rgba(0, 0, 0, 0.08); }}
.js .sheet {{ display: none; }}
.js .sheet.current {{ display: block; }}
h1 {{ font-family: {SERIF[book.language]}; text-align: center; font-size: 2rem; line-height: 1.3; }}
.meta {{ text-align: center; margin: 0.25rem 0; color: #555; font-size: 0.9rem; }}
figure {{ margin: 0 0 1rem; text-align: center; }}
img {{ max-width: 100%; max-height: 70vh; border-radius: 0.5rem; }}
.cover img {{ max-height: 50vh; }}
.text p {{ margin: 0 0 0.6em; }}
.image-left {{ display: flex; gap: 1.5rem; align-items: center; }}
.image-left figure {{ flex: 0 0 55%; margin: 0; }}
.full-bleed {{ padding: 0; overflow: hidden; position: relative; }}
.full-bleed figure {{ margin: 0; }}
.full-bleed img {{ width: 100%; max-height: none; border-radius: 0; display: block; }}
.full-bleed .text {{ position: absolute; left: 1rem; right: 1rem; bottom: 1rem; padding: 0.8rem 1rem;
  background: rgba(255, 255, 255, 0.88); border-radius: 0.75rem; }}
.text-only .text {{ text-align: center; font-size: 1.15em; padding: 3rem 0; }}
@media (max-width: 40rem) {{ .image-left {{ display: block; }} }}
"""


def book_html(book: Storybook, base_dir: Path | None) -> str:
    """The whole book as one HTML document string."""
    labels = LABELS[book.language]
    images = ImagePreparer(base_dir, max_side=1024, quality=82, ai_label=book.language)
    nonce = secrets.token_urlsafe(16)
    csp = f"default-src 'none'; img-src data:; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'"
    parts = [
        f'<!DOCTYPE html><html lang="{book.language}" data-speech-lang="{SPEECH_LANG[book.language]}">'
        f'<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        f'<meta name="author" content="{attr(book.author)}">'
        f"<title>{text(book.title)}</title><style nonce=\"{nonce}\">{_css(book)}</style></head><body>"
        f'<nav class="toolbar"><button id="prev" type="button" aria-label="{attr(labels.previous)}">◀</button>'
        f'<span id="counter" aria-live="polite"></span>'
        f'<button id="next" type="button" aria-label="{attr(labels.next)}">▶</button>'
        f'<button id="speak" type="button" data-read="{attr(labels.read_aloud)}" '
        f'data-stop="{attr(labels.stop)}">{text(labels.read_aloud)}</button></nav><main>'
    ]
    cover = book.cover()
    cover_img = ""
    if cover is not None:
        cover_img = f'<figure><img src="{images.prepare(cover, "cover").data_uri()}" alt=""></figure>'
    meta = "".join(f'<p class="meta {css}">{line}</p>' for css, line in cover_lines(book))
    parts.append(
        f'<section class="sheet cover" id="cover">{cover_img}<div class="read"><h1>{text(book.title)}</h1>'
        f"{meta}</div></section>"
    )
    for page in book.pages:
        figure = ""
        if page.image is not None and page.layout != "text-only":
            uri = images.prepare(page.image, f"page {page.id}").data_uri()
            figure = f'<figure><img src="{uri}" alt="{attr(page.illustration_prompt)}"></figure>'
        layout = page.layout if figure or page.layout == "text-only" else "text-only"
        parts.append(
            f'<section class="sheet page {layout}" id="page-{attr(page.id)}">{figure}'
            f'<div class="text read">{paragraphs(page.text)}</div></section>'
        )
    parts.append(f'</main><script nonce="{nonce}">{_SCRIPT}</script></body></html>')
    return "".join(parts)


def export_html(book: Storybook, base_dir: Path | None, out: str | Path) -> Path:
    """Write the book as one self-contained HTML file to `out`."""
    out = Path(out)
    out.write_text(book_html(book, base_dir), encoding="utf-8")
    return out
