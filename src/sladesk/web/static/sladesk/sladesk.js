// The desk's only script of its own (htmx does the rest); no inline script and nothing
// evaluated from strings anywhere, so the Content-Security-Policy can forbid both.

// A select marked data-autosubmit submits its form when it changes (the language switch).
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-autosubmit")) {
    field.form.requestSubmit();
  }
});

// A queue marked data-hold-while-selected is not refreshed while tickets in it are ticked
// for a bulk action (a refresh would untick them).
document.addEventListener("htmx:beforeRequest", function (event) {
  var queue = event.target;
  if (
    queue instanceof HTMLElement &&
    queue.hasAttribute("data-hold-while-selected") &&
    queue.querySelector("input[name=tickets]:checked")
  ) {
    event.preventDefault();
  }
});
