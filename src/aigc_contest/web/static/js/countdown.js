// Countdowns and local times in the viewer's own time zone. The server decides deadlines; this only shows them.
(function () {
  const lang = document.documentElement.lang || "en";
  const fmt = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
  const rel = { en: ["d", "h", "min", "s"], "zh-Hant": ["天", "小時", "分", "秒"], "zh-Hans": ["天", "小时", "分", "秒"] }[lang] || ["d", "h", "min", "s"];
  for (const el of document.querySelectorAll("time[data-localtime]")) {
    el.textContent = fmt.format(new Date(el.getAttribute("datetime")));
  }
  const countdowns = Array.from(document.querySelectorAll("time[data-countdown]"));
  function tick() {
    const now = Date.now();
    for (const el of countdowns) {
      const end = new Date(el.getAttribute("datetime")).getTime();
      let left = Math.floor((end - now) / 1000);
      if (left <= 0) { el.textContent = el.dataset.labelClosed || fmt.format(new Date(end)); continue; }
      const d = Math.floor(left / 86400); left %= 86400;
      const h = Math.floor(left / 3600); left %= 3600;
      const m = Math.floor(left / 60); const s = left % 60;
      el.textContent = `${d}${rel[0]} ${h}${rel[1]} ${m}${rel[2]} ${s}${rel[3]} (${fmt.format(new Date(end))})`;
    }
  }
  if (countdowns.length) { tick(); setInterval(tick, 1000); }
})();
