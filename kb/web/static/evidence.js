// Writing with the evidence beside you, on the case-study form: a word filters the panel's calls and quotes;
// "cite" puts a citation at the cursor of the answer last written in; "[[" in an answer offers the panel's
// calls and quotes; the panel follows the customer field; Ctrl+S (Cmd+S) saves; leaving with unsaved changes
// asks first; a link to #answer-<question> opens with that answer focused. Without JavaScript the panel is
// still there, with each citation to copy by hand, and the form saves as always.
(function () {
  "use strict";
  var form = document.querySelector("form.story-form");
  var panel = document.getElementById("evidence");
  if (!form) return;
  var content = document.getElementById("evidence-content");
  var filterBox = document.getElementById("ev-filter");
  var saveButton = form.querySelector('button[name="action"][value="save"]');
  var answers = Array.prototype.slice.call(form.querySelectorAll('textarea[name^="answer_"]'));
  var lastAnswer = null;  // the answer textarea last focused: where "cite" writes

  // -- the panel: shown controls, the filter --------------------------------------------------------------

  function wake(root) {
    Array.prototype.forEach.call(root.querySelectorAll(".cite, .js-only"), function (node) { node.hidden = false; });
    if (filterBox) filterBox.parentNode.hidden = !root.querySelector(".ev-call");  // nothing to filter yet
  }

  function has(node, word) {
    return node.textContent.toLowerCase().indexOf(word) !== -1;
  }

  function filter() {
    if (!content || !filterBox) return;
    var word = filterBox.value.trim().toLowerCase();
    var shown = 0;
    Array.prototype.forEach.call(content.querySelectorAll(".ev-call"), function (call) {
      var head = call.querySelector(".ev-call-head");
      var whole = !word || (head && has(head, word)) || has(call.querySelector(".ev-cite"), word);
      var quotes = call.querySelectorAll(".ev-quote");
      var any = false;
      Array.prototype.forEach.call(quotes, function (quote) {
        var keep = whole || has(quote, word);
        quote.hidden = !keep;
        any = any || keep;
      });
      call.hidden = !(whole || any);
      if (!call.hidden) shown += 1;
    });
    var none = content.querySelector(".ev-none");
    if (none) none.hidden = shown > 0 || !word;
  }

  if (panel && content) {
    wake(content);
    if (filterBox) {
      filterBox.addEventListener("input", filter);
      filterBox.addEventListener("keydown", function (event) {
        if (event.key === "Escape") { filterBox.value = ""; filter(); }
      });
    }
  }

  // -- cite at the cursor -------------------------------------------------------------------------------------

  answers.forEach(function (area) {
    area.addEventListener("focus", function () { lastAnswer = area; });
  });

  function changed(area) {
    area.dispatchEvent(new Event("input", {bubbles: true}));
  }

  function cite(text) {
    var area = lastAnswer || answers[0];
    if (!area) return;
    var from = lastAnswer ? area.selectionStart : area.value.length;
    var to = lastAnswer ? area.selectionEnd : area.value.length;
    var before = area.value.slice(0, from);
    var after = area.value.slice(to);
    var lead = before && !/\s$/.test(before) ? " " : "";
    var tail = after && !/^[\s.,;:!?)]/.test(after) ? " " : "";
    area.focus();
    area.setRangeText(lead + text + tail, from, to, "end");
    lastAnswer = area;
    changed(area);
  }

  if (panel) {
    panel.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("button.cite") : null;
      if (!button) return;
      event.preventDefault();
      cite(button.getAttribute("data-cite"));
    });
  }

  // -- the panel follows the customer field --------------------------------------------------------------

  var customer = form.querySelector("#customer");
  var asked = 0;
  if (customer && content && window.fetch && form.getAttribute("data-evidence-url")) {
    customer.addEventListener("change", function () {
      var shown = content.querySelector(".evidence-body");
      var value = customer.value.trim();
      if (shown && shown.getAttribute("data-customer") === value) return;
      var mine = ++asked;
      var url = form.getAttribute("data-evidence-url") + "?customer=" + encodeURIComponent(value);
      fetch(url, {credentials: "same-origin"}).then(function (response) {
        if (!response.ok) throw new Error("kb answered " + response.status);
        return response.text();
      }).then(function (html) {
        if (mine !== asked) return;  // a later change was asked for meanwhile
        content.innerHTML = html;  // rendered and escaped by the server, like every page of kb
        wake(content);
        filter();
      }).catch(function () {
        if (mine !== asked) return;
        var note = document.createElement("p");
        note.className = "notice error small";
        note.textContent = "The calls of this customer could not be loaded (is kb serve still running?).";
        content.replaceChildren(note);
      });
    });
  }

  // -- "[[" offers the panel's calls and quotes ---------------------------------------------------------------

  var list = document.createElement("ul");
  list.id = "ev-complete";
  list.className = "ev-complete";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Calls and quotes to cite");
  list.hidden = true;
  var open = null;  // {area, start, end, items, active} while the list shows
  var OPENING = /\[\[([^\[\]\n|]*)$/;
  var MAX = 8;

  function choices() {
    if (!content) return [];
    return Array.prototype.map.call(content.querySelectorAll(".ev-call, .ev-quote"), function (node) {
      return {cite: node.getAttribute("data-cite"), slug: node.getAttribute("data-slug"),
              title: node.getAttribute("data-title") || ""};
    });
  }

  function close() {
    if (open) {
      open.area.removeAttribute("aria-activedescendant");
      open.area.setAttribute("aria-expanded", "false");
    }
    open = null;
    list.hidden = true;
    list.replaceChildren();
  }

  function mark(index) {
    open.active = index;
    Array.prototype.forEach.call(list.children, function (item, at) {
      item.setAttribute("aria-selected", at === index ? "true" : "false");
    });
    var item = list.children[index];
    if (item) {
      open.area.setAttribute("aria-activedescendant", item.id);
      item.scrollIntoView({block: "nearest"});
    }
  }

  function choose(index) {
    var chosen = open && open.items[index];
    if (!chosen) return;
    var area = open.area;
    var end = open.end;
    if (area.value.slice(end, end + 2) === "]]") end += 2;  // the closing brackets typed already
    area.setRangeText(chosen.cite, open.start, end, "end");
    close();
    area.focus();
    changed(area);
  }

  function suggest(area) {
    var at = area.selectionStart;
    if (at !== area.selectionEnd) return close();
    var typed = OPENING.exec(area.value.slice(0, at));
    if (!typed) return close();
    var word = typed[1].toLowerCase();
    var items = choices().filter(function (choice) {
      return (choice.slug + " " + choice.title).toLowerCase().indexOf(word) !== -1;
    }).slice(0, MAX);
    if (!items.length) return close();
    open = {area: area, start: at - typed[0].length, end: at, items: items, active: 0};
    list.replaceChildren();
    items.forEach(function (choice, index) {
      var item = document.createElement("li");
      item.id = "ev-option-" + index;
      item.setAttribute("role", "option");
      var slug = document.createElement("code");
      slug.textContent = choice.slug;
      var title = document.createElement("span");
      title.textContent = choice.title;
      item.append(slug, title);
      item.addEventListener("mousedown", function (event) {
        event.preventDefault();  // the answer keeps the focus
        choose(index);
      });
      list.appendChild(item);
    });
    area.parentNode.insertBefore(list, area.nextSibling);
    area.setAttribute("aria-controls", list.id);
    area.setAttribute("aria-expanded", "true");
    list.hidden = false;
    mark(0);
  }

  answers.forEach(function (area) {
    area.setAttribute("aria-autocomplete", "list");
    area.addEventListener("input", function (event) {
      if (event.isTrusted) suggest(area);  // not after kb's own insertions
    });
    area.addEventListener("blur", function () { close(); });
    area.addEventListener("keydown", function (event) {
      if (!open || open.area !== area) return;
      var count = open.items.length;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        mark((open.active + 1) % count);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        mark((open.active - 1 + count) % count);
      } else if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        choose(open.active);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
  });

  // -- saving: Ctrl+S / Cmd+S, and no silent loss on leaving ------------------------------------------------

  function snapshot() {
    var parts = [];
    new FormData(form).forEach(function (value, key) {
      if (key !== "csrf_token") parts.push(key + "=" + value);
    });
    return parts.join("\u0000");
  }

  // A form shown again after a preview, an error or a conflict holds text not saved yet.
  var unsaved = form.hasAttribute("data-unsaved");
  var opened = snapshot();
  var submitting = false;

  form.addEventListener("submit", function () { submitting = true; });
  window.addEventListener("pageshow", function () { submitting = false; });  // back from a page after saving
  window.addEventListener("beforeunload", function (event) {
    if (submitting || (!unsaved && snapshot() === opened)) return;
    event.preventDefault();
    event.returnValue = "";  // the browser asks with its own words
  });

  document.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
    if (event.key !== "s" && event.key !== "S") return;
    event.preventDefault();  // not the browser's "save page as"
    if (!saveButton) return;
    if (form.requestSubmit) {
      form.requestSubmit(saveButton);
    } else {
      saveButton.click();
    }
  });

  // -- "Answer X now": the answer named in the address, focused ------------------------------------------

  function focusNamed() {
    var name = decodeURIComponent(location.hash.slice(1));
    if (name.indexOf("answer-") !== 0) return;
    var field = document.getElementById(name);
    var area = field && field.querySelector("textarea");
    if (!area) return;
    field.scrollIntoView({block: "start"});
    area.focus({preventScroll: true});
    area.setSelectionRange(area.value.length, area.value.length);
  }

  // After the load: the browser's own move to the fragment, which comes once the page is in, would take
  // the focus back.
  if (document.readyState === "complete") {
    focusNamed();
  } else {
    window.addEventListener("load", function () { setTimeout(focusNamed, 0); });
  }
  window.addEventListener("hashchange", focusNamed);
})();
