// The preview, in place of the writing: the Preview button sends the form to /preview (with the form's
// CSRF token) and shows the sanitized HTML that comes back where the fields were, under the list of its
// links that point to no record; the same button, now "Back to writing", brings the fields back where the
// user left them. Without JavaScript, the Preview button submits the form and the page comes back with the
// preview above it.
(function () {
  "use strict";
  var form = document.querySelector("form[data-preview-url]");
  var target = document.getElementById("preview");
  if (!form || !target || !window.fetch || !window.FormData) return;
  var button = form.querySelector('button[name="action"][value="preview"]');
  if (!button) return;
  var label = button.textContent;
  var writingAt = 0;  // where the page was scrolled when the preview replaced the fields

  function previewing() {
    return form.classList.contains("previewing");
  }

  function backToWriting() {
    form.classList.remove("previewing");
    target.hidden = true;
    button.textContent = label;
    button.setAttribute("aria-pressed", "false");
    window.scrollTo(0, writingAt);
  }

  function show(html) {
    target.innerHTML = html;  // sanitized by the server (nh3), like every page of kb
    target.hidden = false;
    writingAt = window.scrollY;
    form.classList.add("previewing");
    button.textContent = "Back to writing";
    button.setAttribute("aria-pressed", "true");
    target.scrollIntoView({block: "start"});
  }

  function failed(why) {
    // Stay on the page: what was typed stays in the form.
    var note = document.createElement("p");
    note.className = "notice error";
    note.setAttribute("role", "alert");
    note.textContent = "No preview: " + why + ". Your text is untouched in the form; try again, or save.";
    target.replaceChildren(note);
    target.hidden = false;
  }

  button.setAttribute("aria-pressed", "false");
  button.setAttribute("aria-controls", "preview");
  button.addEventListener("click", function (event) {
    event.preventDefault();
    if (previewing()) {
      backToWriting();
      return;
    }
    var data = new FormData(form);
    data.delete("action");
    button.disabled = true;
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: {"X-CSRFToken": data.get("csrf_token") || ""}
    }).then(function (response) {
      return response.text().then(function (html) {
        if (response.ok) {
          show(html);
        } else {
          failed(response.status === 400 ? "kb refused the form (it may have restarted; reload the page after " +
                 "copying your text)" : "kb answered " + response.status);
        }
      });
    }).catch(function () {
      failed("kb did not answer (is kb serve still running?)");
    }).finally(function () {
      button.disabled = false;
    });
  });
})();
