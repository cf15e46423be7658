// The viewer's own time beside each zoned time, and live countdowns. The server decides deadlines and
// writes every time in the competition's zone with the zone's name; this only adds to what it wrote.
(function () {
  const lang = document.documentElement.lang || "en";
  const fmt = new Intl.DateTimeFormat(lang, {
    year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });
  const viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  // Beside `{% zoned %}` times: "· Your time: 30 Oct 2024, 16:59 CET" (nothing when the viewer is in that zone).
  let shown = 0;
  for (const slot of document.querySelectorAll("[data-viewer-time]")) {
    const time = slot.parentElement && slot.parentElement.querySelector("time[datetime]");
    if (!time || time.dataset.zone === viewerZone) continue;
    const when = new Date(time.getAttribute("datetime"));
    if (isNaN(when)) continue;
    slot.textContent = ` · ${slot.dataset.label}: ${fmt.format(when)}`;
    slot.hidden = false;
    shown += 1;
  }
  // "…your own local time is shown beside each" is said only once it is true (the page says less without script).
  if (shown) {
    for (const el of document.querySelectorAll("[data-with-viewer-time]")) el.hidden = false;
    for (const el of document.querySelectorAll("[data-without-viewer-time]")) el.hidden = true;
  }
  // `<p data-countdown="ISO instant" data-label-closed="…">… <span data-countdown-left>server's words</span></p>`:
  // the time left ticks every second once the page runs script; at the end the whole element says it is closed.
  const rel = { en: ["d", "h", "min", "s"], "zh-Hant": ["天", "小時", "分", "秒"], "zh-Hans": ["天", "小时", "分", "秒"] }[lang] || ["d", "h", "min", "s"];
  const countdowns = Array.from(document.querySelectorAll("[data-countdown]"));
  function tick() {
    const now = Date.now();
    for (const el of countdowns) {
      const end = new Date(el.dataset.countdown).getTime();
      if (isNaN(end)) continue;
      let left = Math.floor((end - now) / 1000);
      if (left <= 0) { if (el.dataset.labelClosed) el.textContent = el.dataset.labelClosed; continue; }
      const target = el.querySelector("[data-countdown-left]") || el;
      const d = Math.floor(left / 86400); left %= 86400;
      const h = Math.floor(left / 3600); left %= 3600;
      const m = Math.floor(left / 60); const s = left % 60;
      target.textContent = `${d}${rel[0]} ${h}${rel[1]} ${m}${rel[2]} ${s}${rel[3]}`;
    }
  }
  if (countdowns.length) { tick(); setInterval(tick, 1000); }
})();
