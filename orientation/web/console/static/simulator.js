// Progressive enhancement of the simulator's keypad: without this file every key is sent at once.
// With it, keys gather in the field when the line waits for several digits (a postcode), and are sent
// together; a one-key menu is still answered at the first key. The transcript scrolls to its end.
(function () {
  "use strict";
  var form = document.getElementById("keypad-form");
  var transcript = document.getElementById("transcript");
  if (transcript) { transcript.scrollTop = transcript.scrollHeight; }
  if (!form) { return; }
  var field = document.getElementById("keys");
  var wanted = parseInt(form.getAttribute("data-num-digits") || "0", 10);
  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[name=digit]");
    if (!button || !field || button.value === "" || wanted === 1) { return; }
    event.preventDefault();
    field.value += button.value;
    if (wanted > 1 && field.value.length >= wanted) {
      form.requestSubmit ? form.requestSubmit() : form.submit();
    }
  });
})();
