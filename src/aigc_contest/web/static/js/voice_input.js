// Voice input: a microphone button beside a prompt box (templates/includes/voice_input.html).
// The browser's own speech recognition where it has one (zh-HK Cantonese on 繁體 pages, zh-CN Mandarin
// on 简体 pages, English otherwise); elsewhere, or when that service cannot be reached, it records with
// MediaRecorder, turns the recording into 16 kHz WAV here and asks the server's speech model. Either
// way the words go to the server first and are only put in the box if the safety layer lets them
// through; otherwise the child reads the server's kind message. Without either path the button stays
// hidden. Every element is a real button, so the keyboard and switch access work as for any other.
(function () {
  "use strict";
  if (window.aigcVoiceInput) return; // the include may appear more than once on a page
  window.aigcVoiceInput = true;
  var CJK = /[\u3400-\u9fff\uf900-\ufaff]/;
  var RATE = 16000;

  function speechLang() {
    var lang = (document.documentElement.lang || "en").toLowerCase();
    if (lang.indexOf("zh-hant") === 0 || lang === "zh-hk" || lang === "zh-tw") return "zh-HK";
    if (lang.indexOf("zh") === 0) return "zh-CN";
    return "en";
  }

  function canRecord() {
    return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder &&
      (window.AudioContext || window.webkitAudioContext) && window.OfflineAudioContext);
  }

  function Recognizer() { return window.SpeechRecognition || window.webkitSpeechRecognition || null; }

  // 16-bit PCM WAV from mono float samples.
  function wavBlob(samples, rate) {
    var buffer = new ArrayBuffer(44 + samples.length * 2);
    var view = new DataView(buffer);
    function text(offset, s) { for (var i = 0; i < s.length; i++) view.setUint8(offset + i, s.charCodeAt(i)); }
    text(0, "RIFF"); view.setUint32(4, 36 + samples.length * 2, true); text(8, "WAVE");
    text(12, "fmt "); view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
    view.setUint32(24, rate, true); view.setUint32(28, rate * 2, true); view.setUint16(32, 2, true);
    view.setUint16(34, 16, true); text(36, "data"); view.setUint32(40, samples.length * 2, true);
    for (var i = 0; i < samples.length; i++) {
      var s = Math.max(-1, Math.min(1, samples[i]));
      view.setInt16(44 + i * 2, s < 0 ? s * 0x8000 : s * 0x7fff, true);
    }
    return new Blob([buffer], { type: "audio/wav" });
  }

  // Whatever MediaRecorder made (webm/opus, mp4/aac, ...), decoded by the browser and resampled to 16 kHz mono.
  function toWav(blob) {
    var Context = window.AudioContext || window.webkitAudioContext;
    var context = new Context();
    return blob.arrayBuffer().then(function (data) {
      return new Promise(function (resolve, reject) { context.decodeAudioData(data, resolve, reject); });
    }).then(function (decoded) {
      context.close();
      var length = Math.max(1, Math.ceil(decoded.duration * RATE));
      var offline = new window.OfflineAudioContext(1, length, RATE);
      var source = offline.createBufferSource();
      source.buffer = decoded;
      source.connect(offline.destination);
      source.start(0);
      return offline.startRendering();
    }).then(function (rendered) { return wavBlob(rendered.getChannelData(0), RATE); });
  }

  function setUp(box) {
    var target = document.getElementById(box.getAttribute("data-target"));
    var button = box.querySelector(".voice-button");
    var label = box.querySelector(".voice-label");
    var status = box.querySelector(".voice-status");
    var server = box.getAttribute("data-server") === "yes" && canRecord();
    var browser = Recognizer();
    if (!target || !button || (!browser && !server)) return;
    box.hidden = false;
    var busy = null; // the running recognition or recording: {stop: function}
    var maxMs = (parseInt(box.getAttribute("data-max-seconds"), 10) || 30) * 1000 - 1000;

    function say(key, refusal) {
      status.textContent = key ? box.getAttribute("data-msg-" + key) || key : "";
      status.classList.toggle("refusal", !!refusal);
    }
    function listening(on) {
      button.setAttribute("data-listening", on ? "true" : "false");
      label.textContent = box.getAttribute(on ? "data-label-stop" : "data-label-start");
    }
    function finished() { busy = null; listening(false); }

    function addWords(words) {
      var text = target.value.replace(/\s+$/, "");
      var joiner = CJK.test(words) ? "，" : " ";
      target.value = text ? text + joiner + words : words;
      target.dispatchEvent(new Event("input", { bubbles: true }));
      target.focus();
    }

    // Every transcript is screened by the server before it is shown.
    function send(form) {
      form.append("lang", speechLang());
      say("working");
      return fetch(box.getAttribute("data-url"), {
        method: "POST", body: form, credentials: "same-origin",
        headers: { "X-CSRFToken": box.getAttribute("data-csrf"), "X-Requested-With": "fetch" }
      }).then(function (response) {
        return response.json().catch(function () { return { status: "error", message: "" }; });
      }).then(function (answer) {
        if (answer.status === "ok" && answer.text) {
          addWords(answer.text);
          say("added");
        } else if (answer.message) {
          say(answer.message, answer.status === "refused");
        } else {
          say("failed");
        }
      }).catch(function () { say("failed"); });
    }

    function recognise() {
      var recognition = new browser();
      recognition.lang = speechLang();
      recognition.interimResults = false;
      recognition.maxAlternatives = 1;
      var heard = "";
      var fallBack = false;
      recognition.onresult = function (event) {
        for (var i = event.resultIndex; i < event.results.length; i++) {
          if (event.results[i].isFinal) heard += event.results[i][0].transcript;
        }
      };
      recognition.onerror = function (event) {
        // no network for the browser's speech service: record for the server's model instead
        if ((event.error === "network" || event.error === "service-not-allowed" ||
             event.error === "language-not-supported") && server) fallBack = true;
        else if (event.error === "not-allowed" || event.error === "audio-capture") say("no-mic");
      };
      recognition.onend = function () {
        finished();
        if (fallBack) { browser = null; record(); return; }
        var form = new FormData();
        form.append("text", heard);
        if (heard.trim() || status.textContent === box.getAttribute("data-msg-listening")) send(form);
      };
      recognition.start();
      busy = { stop: function () { recognition.stop(); } };
      listening(true);
      say("listening");
    }

    function record() {
      navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
        var chunks = [];
        var recorder = new window.MediaRecorder(stream);
        var timer = window.setTimeout(function () { if (recorder.state !== "inactive") recorder.stop(); }, maxMs);
        recorder.ondataavailable = function (event) { if (event.data && event.data.size) chunks.push(event.data); };
        recorder.onstop = function () {
          window.clearTimeout(timer);
          stream.getTracks().forEach(function (track) { track.stop(); });
          finished();
          say("working");
          toWav(new Blob(chunks, { type: recorder.mimeType || "audio/webm" })).then(function (wav) {
            var form = new FormData();
            form.append("audio", wav, "speech.wav");
            return send(form);
          }).catch(function () { say("failed"); });
        };
        recorder.start();
        busy = { stop: function () { if (recorder.state !== "inactive") recorder.stop(); } };
        listening(true);
        say("listening");
      }).catch(function () { finished(); say("no-mic"); });
    }

    button.addEventListener("click", function () {
      if (busy) { busy.stop(); return; }
      if (browser) recognise(); else record();
    });
  }

  // Boxes in parts of the page that are re-rendered later (a storybook's pages) are set up as they come.
  function start() {
    function scan() {
      document.querySelectorAll(".voice-input[data-target]:not([data-ready])").forEach(function (box) {
        box.setAttribute("data-ready", "");
        setUp(box);
      });
    }
    scan();
    new MutationObserver(scan).observe(document.body, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
