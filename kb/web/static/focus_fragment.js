// "Answer X now" links open a form at #answer-<key>: the browser scrolls there but leaves the focus at the
// top of the page. This puts the cursor in the field the fragment names (the first field inside the element
// it names), opens any <details> around it, and keeps it clear of the sticky Save bar.
(function () {
  "use strict";
  var FIELDS = "textarea, input:not([type=hidden]), select";

  function focusFragment() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    if (!id) return;
    var named = document.getElementById(id);
    if (!named) return;
    var field = named.matches(FIELDS) ? named : named.querySelector(FIELDS);
    if (!field) return;
    for (var open = field.parentElement; open; open = open.parentElement) {
      if (open.tagName === "DETAILS") open.open = true;
    }
    field.focus({preventScroll: true});
    // Centred: the label above it and the bar below it both stay clear of the field.
    (field.closest(".field") || field).scrollIntoView({block: "center"});
  }

  focusFragment();
  window.addEventListener("hashchange", focusFragment);
})();
