// "/" focuses the search box, unless the reader is typing somewhere. A file of its own, as kb's
// Content-Security-Policy runs no inline script.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
    var box = document.getElementById("kb-search");
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });
})();
