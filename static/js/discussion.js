// Discussion enhancements; every page works without this file.
(function () {
  "use strict";
  // Ask before deleting one's own post.
  document.querySelectorAll("form .js-confirm").forEach(function (button) {
    button.form.addEventListener("submit", function (event) {
      if (!window.confirm("Remove this post? Replies to it stay in the thread.")) {
        event.preventDefault();
      }
    });
  });
  // The board's filters apply with their Apply button only: applying on "change" reloaded the page as soon as
  // a keyboard user pressed an arrow key in a select (WCAG 3.2.2, on input).
})();
