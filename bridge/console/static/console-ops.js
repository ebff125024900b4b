// SpiderGate console, operations pages: the copy button of a just-minted token.
// Served from 'self' (the CSP refuses inline scripts); listens on the document, so it
// works on pages htmx swapped in as well as on full loads.
"use strict";
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
  if (!button) return;
  var source = document.querySelector(button.getAttribute("data-copy"));
  if (!source || !navigator.clipboard) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(function () {
    var note = button.parentElement.querySelector(".copied");
    if (note) note.hidden = false;
  });
});
