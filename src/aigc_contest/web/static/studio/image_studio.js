// Image studio helpers: example prompts, a "surprise me" seed, the prompt box's lang attribute, and
// reading the instructions aloud. The page works without this script; it only makes it friendlier.
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

    var read = document.getElementById("read-aloud");
    var instructions = document.getElementById("instructions");
    if (read && instructions && "speechSynthesis" in window) {
      read.hidden = false;
      read.addEventListener("click", function () {
        var speech = window.speechSynthesis;
        if (speech.speaking) {
          speech.cancel();
          read.textContent = read.getAttribute("data-label-read");
          return;
        }
        var utterance = new SpeechSynthesisUtterance(instructions.innerText);
        utterance.lang = document.documentElement.lang || "en";
        utterance.rate = 0.9;
        utterance.onend = function () { read.textContent = read.getAttribute("data-label-read"); };
        read.textContent = read.getAttribute("data-label-stop");
        speech.speak(utterance);
      });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
