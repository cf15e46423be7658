// Image studio helpers: example prompts, a "surprise me" seed, the prompt box's lang attribute, picture
// cards that build the prompt, and reading the page aloud in the right voice. The page works without
// this script; it only makes it friendlier.
(function () {
  "use strict";
  var SEED_MAX = 4294967295;
  var CJK = /[\u3400-\u9fff\uf900-\ufaff]/;

  function start() {
    var prompt = document.querySelector(".make-form textarea[lang]");

    // lang follows what is typed, so screen readers and fonts treat Chinese text as Chinese.
    function updateLang() {
      if (!prompt) return;
      var ui = prompt.getAttribute("data-ui-lang") || "en";
      var chinese = CJK.test(prompt.value);
      prompt.setAttribute("lang", chinese ? (ui === "en" ? "zh" : ui) : (prompt.value ? "en" : ui));
    }
    if (prompt) {
      prompt.addEventListener("input", updateLang);
      updateLang();
    }

    document.querySelectorAll("button.example[data-prompt]").forEach(function (button) {
      button.addEventListener("click", function () {
        if (!prompt) return;
        prompt.value = button.getAttribute("data-prompt");
        updateLang();
        prompt.focus();
      });
    });

    var seedButton = document.getElementById("surprise-seed");
    var seed = document.getElementById("id_seed");
    if (seedButton && seed) {
      seedButton.addEventListener("click", function () {
        var values = new Uint32Array(1);
        window.crypto.getRandomValues(values);
        seed.value = String(values[0] % (SEED_MAX + 1));
        seed.focus();
      });
    }

    var make = document.getElementById("make-form");
    if (make) {
      make.addEventListener("submit", function () {
        var button = document.getElementById("make-button");
        if (button) button.setAttribute("aria-busy", "true");
      });
    }

    startPictureCards(prompt, updateLang);
    startSpeech(prompt);
  }

  // Picture cards: each button adds its word to the prompt ("who, doing what, where, feeling").
  function startPictureCards(prompt, updateLang) {
    var clear = document.getElementById("clear-prompt");
    if (!prompt) return;
    document.querySelectorAll("button.picture-card[data-word]").forEach(function (card) {
      card.addEventListener("click", function () {
        var word = card.getAttribute("data-word");
        var text = prompt.value.replace(/\s+$/, "");
        var joiner = CJK.test(word) ? "，" : " ";
        prompt.value = text ? text + joiner + word : word;
        prompt.dispatchEvent(new Event("input", { bubbles: true }));
        updateLang();
      });
    });
    if (clear) {
      clear.hidden = false;
      clear.addEventListener("click", function () {
        prompt.value = "";
        updateLang();
        prompt.focus();
      });
    }
  }

  // The speech language follows the page: Cantonese (zh-HK) on Traditional Chinese pages, Mandarin
  // (zh-CN) on Simplified ones, English otherwise; Chinese words on an English page are read in Cantonese.
  function pageLang() {
    var lang = (document.documentElement.lang || "en").toLowerCase();
    if (lang.indexOf("zh-hant") === 0 || lang === "zh-hk" || lang === "zh-tw") return "zh-HK";
    if (lang.indexOf("zh") === 0) return "zh-CN";
    return "en";
  }

  function speechLang(text) {
    var page = pageLang();
    if (CJK.test(text)) return page === "en" ? "zh-HK" : page;
    return page === "en" || !/[A-Za-z]/.test(text) ? page : "en";
  }

  function norm(tag) { return String(tag || "").replace(/_/g, "-").toLowerCase(); }

  // The best voice for a language tag, and whether it is a fallback the child should be told about.
  function chooseVoice(lang) {
    var voices = window.speechSynthesis.getVoices ? window.speechSynthesis.getVoices() || [] : [];
    function first(test) {
      for (var i = 0; i < voices.length; i++) if (test(norm(voices[i].lang))) return voices[i];
      return null;
    }
    if (lang === "zh-HK") {
      var yue = first(function (v) { return v.indexOf("zh-hk") === 0 || v.indexOf("yue") === 0; });
      if (yue) return { voice: yue, fallback: false };
      return { voice: first(function (v) { return v.indexOf("zh") === 0 || v.indexOf("cmn") === 0; }), fallback: true };
    }
    if (lang === "zh-CN") {
      var mandarin = first(function (v) { return v.indexOf("zh-cn") === 0 || v.indexOf("cmn") === 0; });
      return { voice: mandarin || first(function (v) { return v.indexOf("zh") === 0; }), fallback: false };
    }
    return { voice: first(function (v) { return v.indexOf("en") === 0; }), fallback: false };
  }

  // What a screen reader would call the element: its aria-label, else its text without hidden pictures.
  function nameOf(element) {
    if (element.getAttribute("aria-label")) return element.getAttribute("aria-label");
    var copy = element.cloneNode(true);
    copy.querySelectorAll("[aria-hidden=true]").forEach(function (hidden) { hidden.remove(); });
    return copy.textContent.replace(/\s+/g, " ");
  }

  function startSpeech(prompt) {
    if (!("speechSynthesis" in window) || typeof window.SpeechSynthesisUtterance !== "function") return;
    var speech = window.speechSynthesis;
    var note = document.getElementById("voice-note");
    var read = document.getElementById("read-aloud");
    var instructions = document.getElementById("instructions");

    function say(text, onend) {
      text = (text || "").replace(/^[\s—-]+/, "").trim();
      if (!text) return;
      var utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = speechLang(text);
      var choice = chooseVoice(utterance.lang);
      if (choice.voice) utterance.voice = choice.voice;
      if (note) {
        note.hidden = !choice.fallback;
        note.textContent = choice.fallback ? note.getAttribute("data-note-yue") : "";
      }
      utterance.rate = 0.9;
      if (onend) utterance.onend = onend;
      if (speech.speaking || speech.pending) speech.cancel();
      speech.speak(utterance);
    }

    if (read && instructions) {
      read.hidden = false;
      read.addEventListener("click", function () {
        if (speech.speaking) {
          speech.cancel();
          read.textContent = read.getAttribute("data-label-read");
          return;
        }
        read.textContent = read.getAttribute("data-label-stop");
        say(instructions.innerText, function () { read.textContent = read.getAttribute("data-label-read"); });
      });
    }

    // "Hear" buttons beside the prompt and each result; the result cards are replaced while they load,
    // so one listener on the page serves them all.
    function showSpeakButtons() {
      document.querySelectorAll("button.speak[data-speak-from]").forEach(function (b) { b.hidden = false; });
    }
    showSpeakButtons();
    new MutationObserver(showSpeakButtons).observe(document.body, { childList: true, subtree: true });
    document.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("button.speak[data-speak-from]");
      if (!button) return;
      var source = document.getElementById(button.getAttribute("data-speak-from"));
      if (source) say(source.value !== undefined ? source.value : source.innerText);
    });

    // The "read aloud" switch: each button's name is said when the child reaches it (kept on this device).
    var toggle = document.getElementById("speak-focus");
    var label = document.getElementById("speak-focus-label");
    var KEY = "aigc.speakOnFocus";
    if (toggle && label) {
      label.hidden = false;
      try { toggle.checked = window.localStorage.getItem(KEY) === "on"; } catch (e) { toggle.checked = false; }
      toggle.addEventListener("change", function () {
        try { window.localStorage.setItem(KEY, toggle.checked ? "on" : "off"); } catch (e) { /* private mode */ }
      });
      document.addEventListener("focusin", function (event) {
        if (!toggle.checked) return;
        var target = event.target;
        if (!target.matches || !target.matches("button, summary, [role=button], a[href]")) return;
        say(nameOf(target));
      });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
