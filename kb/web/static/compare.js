// Compare: a line whose answer is not on the page (a long KB's compare page carries lines only) reads it
// when opened, from the answer's own page. Without JavaScript the line opens on a link to that page.
(function () {
  "use strict";
  function load(details) {
    var link = details.querySelector("[data-answer-link]");
    var url = link && link.getAttribute("href");
    var holder = details.querySelector("[data-full-answer]");
    if (!url || !holder || details.getAttribute("data-loaded")) return;
    details.setAttribute("data-loaded", "loading");
    fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (text) {
        var found = new DOMParser().parseFromString(text, "text/html").querySelector("[data-full-answer]");
        if (!found) return;
        holder.replaceChildren.apply(holder, Array.prototype.map.call(found.childNodes, function (node) {
          return document.importNode(node, true);
        }));
        details.setAttribute("data-loaded", "yes");
      })
      .catch(function () { details.removeAttribute("data-loaded"); });  // the link in it still works
  }
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (details.tagName === "DETAILS" && details.open && details.hasAttribute("data-lazy")) load(details);
  }, true);
})();
