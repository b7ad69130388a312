// Keyboard shortcuts for the review app: one key per action, never while typing in a field.
// S same person, N not this person, X none of these clients, K skip, L search for another client, U undo, O open first item.
(function () {
  "use strict";
  var keys = { s: "#btn-same", n: "#btn-not", x: "#btn-none", k: "#btn-skip", u: "#btn-undo", o: "a.item-link" };
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (typing) {
      if (event.key === "Escape") target.blur();
      return;
    }
    var key = event.key.toLowerCase();
    if (key === "l") {
      var search = document.querySelector("#search-q");
      if (search) { event.preventDefault(); search.focus(); }
      return;
    }
    var selector = keys[key];
    if (!selector) return;
    var element = document.querySelector(selector);
    if (!element) return;
    event.preventDefault();
    element.click();
  });
})();
