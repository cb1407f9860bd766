// Small enhancements every page shares; each page works without them. No inline code: the
// Content-Security-Policy forbids it, so the pages load this file.
(function () {
  "use strict";

  // After a failed submit, the error summary takes the focus: screen readers read it first,
  // and keyboard users start from its links (GOV.UK error summary pattern).
  function focusErrorSummary() {
    var summary = document.querySelector(".error-summary");
    if (summary) { summary.focus(); }
  }

  // A summary link focuses its field and scrolls so that the field's label (or the legend of
  // its group) stays visible above it, not hidden under the top of the window.
  function followSummaryLinks() {
    var links = document.querySelectorAll(".error-summary a[href^='#']");
    Array.prototype.forEach.call(links, function (link) {
      link.addEventListener("click", function (event) {
        var input = document.getElementById(link.getAttribute("href").slice(1));
        if (!input) { return; }
        event.preventDefault();
        var group = input.closest("fieldset.date-fieldset");
        var label = group ? group.querySelector("legend")
          : document.querySelector("label[for='" + input.id + "']");
        (label || input).scrollIntoView();
        input.focus({ preventScroll: true });
      });
    });
  }

  // "Afficher le mot de passe": a button after each password field switches it to plain text
  // and back; its pressed state says which.
  function passwordToggles() {
    var buttons = document.querySelectorAll(".js-password-toggle");
    Array.prototype.forEach.call(buttons, function (button) {
      var input = document.getElementById(button.getAttribute("aria-controls"));
      if (!input) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        var show = input.type === "password";
        input.type = show ? "text" : "password";
        button.setAttribute("aria-pressed", show ? "true" : "false");
      });
      // Never leave a password readable in the page that the browser may keep.
      if (input.form) {
        input.form.addEventListener("submit", function () { input.type = "password"; });
      }
    });
  }

  function init() {
    focusErrorSummary();
    followSummaryLinks();
    passwordToggles();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
