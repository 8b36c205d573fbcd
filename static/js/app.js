// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Phone menu: collapsed behind a toggle once JavaScript is available.
  var toggle = document.querySelector(".nav-toggle");
  var nav = document.getElementById("site-nav");
  if (toggle && nav) {
    toggle.hidden = false;
    nav.setAttribute("data-collapsed", "true");
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", String(!open));
      nav.setAttribute("data-collapsed", String(open));
    });
    // Escape closes the open menu and puts focus back on its button.
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        toggle.setAttribute("aria-expanded", "false");
        nav.setAttribute("data-collapsed", "true");
        toggle.focus();
      }
    });
  }

  // Forms that do something hard to undo ask first (data-confirm holds the question); without JavaScript they
  // are sent as they are.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm]"), function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });

  // A second click on a button while its form is on its way would send the form again (two modules, two quiz
  // attempts). Listening on the document, this runs after each form's own checks: a submit they stopped
  // (Cancel on a question, a file too large) does not count as sent. Back on the page, it can be sent again.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || form.method !== "post") { return; }
    if (form.hasAttribute("data-sending")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sending", "");
  });
  window.addEventListener("pageshow", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-sending]"), function (form) {
      form.removeAttribute("data-sending");
    });
  });

  // A file over the upload limit: the server refuses the whole request before reading the form, so everything
  // typed into it would be lost. Say so at the field instead, and keep the form from being sent.
  function oversized(input) {
    var limit = Number(input.getAttribute("data-max-bytes"));
    var total = 0;
    Array.prototype.forEach.call(input.files || [], function (file) { total += file.size; });
    return limit && total > limit;
  }

  function showSizeError(input) {
    var error = document.getElementById(input.id + "-size-error");
    if (!oversized(input)) {
      if (error) { error.remove(); }
      input.removeAttribute("aria-invalid");
      return false;
    }
    if (!error) {
      error = document.createElement("p");
      error.className = "error";
      error.id = input.id + "-size-error";
      var field = input.closest(".field");  // below the help text, where the server's own errors go
      if (field) { field.appendChild(error); } else { input.insertAdjacentElement("afterend", error); }
      var described = input.getAttribute("aria-describedby");
      input.setAttribute("aria-describedby", (described ? described + " " : "") + error.id);
    }
    error.textContent = "That file is larger than the " + input.getAttribute("data-max-size") +
      " we accept. Please choose a smaller one; " +
      "nothing else on this form has been sent or lost.";
    input.setAttribute("aria-invalid", "true");
    return true;
  }

  Array.prototype.forEach.call(document.querySelectorAll("input[type=file][data-max-bytes]"), function (input) {
    input.addEventListener("change", function () { showSizeError(input); });
    if (input.form) {
      input.form.addEventListener("submit", function (event) {
        if (showSizeError(input)) {
          event.preventDefault();
          input.focus();
        }
      });
    }
  });

  // The sign-up confirmation sends the browser's time zone, so a new account's days and weeks (drip dates, the
  // weekly goal) are the learner's own from the start; without JavaScript the account starts on UTC.
  Array.prototype.forEach.call(document.querySelectorAll("input[data-browser-timezone]"), function (input) {
    try {
      input.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      input.value = "";
    }
  });
})();
