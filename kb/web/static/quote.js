// "Mark as quote" on a call's page: selecting words of the call shows a button under them; clicking it
// fills the form below the call (the words, an id suggested from them, the tags) and focuses it. The
// server finds the words in the file and writes the quote. Without JavaScript, the same form takes the
// words pasted into its box.
(function () {
  "use strict";
  var body = document.getElementById("call-body");
  var section = document.getElementById("mark-quote");
  if (!body || !section || !window.getSelection) return;
  var form = section.querySelector("form");
  var words = document.getElementById("quote-selection");
  var block = document.getElementById("quote-block");
  var tags = document.getElementById("quote-tags");
  var close = section.querySelector("[data-quote-close]");
  var ID_WORDS = 4;
  var MAX_ID = 64;
  var TIME = "\\(\\d{1,2}:\\d{2}(?::\\d{2})?\\)";
  var selected = "";

  var button = document.createElement("button");
  button.type = "button";
  button.className = "quote-button";
  button.textContent = "Mark as quote";
  button.hidden = true;
  document.body.appendChild(button);

  // The ids the call has already: every block id on the page is an anchor q-<id> (kb.views.markdown).
  function taken() {
    var found = {};
    body.querySelectorAll("a.block-id[id^='q-']").forEach(function (anchor) {
      found[anchor.id.slice(2).toLowerCase()] = true;
    });
    return found;
  }

  // As kb.authoring.quote_marking.suggest_id: the first words in lowercase ASCII, joined by dashes, unique.
  function suggest(text) {
    text = text.replace(new RegExp("^[^\\n:()]{0,80}" + TIME + "\\s*:?\\s*"), "");  // a turn's name and time
    var plain = text.normalize("NFKD").replace(/[^\x00-\x7f]/g, "").toLowerCase();
    plain = plain.replace(/([a-z0-9])'(?=[a-z])/g, "$1");
    var base = (plain.match(/[a-z0-9]+/g) || []).slice(0, ID_WORDS).join("-").slice(0, MAX_ID - 4);
    base = base.replace(/^-+|-+$/g, "") || "quote";
    var used = taken(), id = base, number = 1;
    while (used[id]) {
      number += 1;
      id = base + "-" + number;
    }
    return id;
  }

  function inCall(node) {
    return node && body.contains(node.nodeType === 1 ? node : node.parentNode);
  }

  function hide() {
    button.hidden = true;
  }

  function show() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return hide();
    if (!inCall(selection.anchorNode) || !inCall(selection.focusNode)) return hide();
    var text = selection.toString().trim();
    if (!text) return hide();
    selected = text;
    var rects = selection.getRangeAt(0).getClientRects();
    var last = rects.length ? rects[rects.length - 1] : selection.getRangeAt(0).getBoundingClientRect();
    button.hidden = false;
    // Placed through the CSS object model (no style attribute, which the page's policy refuses).
    var left = Math.min(last.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - button.offsetWidth - 8);
    button.style.left = Math.max(window.scrollX + 8, left) + "px";
    button.style.top = (last.bottom + window.scrollY + 6) + "px";
  }

  var pending = null;
  document.addEventListener("selectionchange", function () {
    clearTimeout(pending);
    pending = setTimeout(show, 150);  // once the selection stops moving
  });
  window.addEventListener("resize", function () {
    if (!button.hidden) show();
  });

  // Pressing the button must not take the selection away before its click is seen.
  button.addEventListener("mousedown", function (event) {
    event.preventDefault();
  });
  button.addEventListener("click", function () {
    words.value = selected;
    block.value = suggest(selected);
    section.classList.add("is-open");
    if (close) close.hidden = false;
    hide();
    block.focus();
    block.select();  // Enter accepts the suggested id; typing replaces it
  });

  function shut() {
    section.classList.remove("is-open");
    if (close) close.hidden = true;
  }
  if (close) close.addEventListener("click", shut);
  section.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && section.classList.contains("is-open")) shut();
  });

  // Words pasted or typed without a selection: suggest an id once they are there, unless one is typed.
  words.addEventListener("change", function () {
    if (!block.value.trim() && words.value.trim()) block.value = suggest(words.value);
  });
  if (tags && form) form.addEventListener("submit", function () {
    tags.value = tags.value.trim();
  });
})();
