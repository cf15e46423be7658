// The fine-tuned model picker: a slider beside each weight's number input, kept in step with it.
// Without this script the number input alone works.
(function () {
  "use strict";
  document.querySelectorAll("input[data-lora-weight]").forEach(function (number) {
    var slider = document.createElement("input");
    slider.type = "range";
    slider.min = number.min || "0";
    slider.max = number.max || "1.5";
    slider.step = number.step || "0.05";
    slider.value = number.value || "0.8";
    slider.setAttribute("aria-label", number.labels && number.labels[0] ? number.labels[0].textContent : "weight");
    slider.dataset.testid = "lora-slider";
    slider.addEventListener("input", function () { number.value = slider.value; });
    number.addEventListener("input", function () { slider.value = number.value; });
    number.parentNode.insertBefore(slider, number);
  });
})();
