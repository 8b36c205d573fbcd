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
  // Filters apply as soon as they change.
  var filters = document.querySelector(".filter-bar");
  if (filters) {
    filters.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("change", function () { filters.submit(); });
    });
  }
})();
