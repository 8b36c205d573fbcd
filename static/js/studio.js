// Studio: drag-and-drop reordering of modules and lessons, and the lesson editor's guard for unsaved changes.
// Every page works without this file.

// Reordering enhances the Up/Down buttons, which keep working without JavaScript; the new order is posted to
// the same server-side rules as those buttons.
(function () {
  "use strict";
  var outline = document.querySelector(".studio-outline[data-reorder-url]");
  if (!outline || !window.fetch) { return; }
  var statusBox = document.querySelector(".studio-order-status");
  var dragged = null;

  function say(message) { if (statusBox) { statusBox.textContent = message; } }

  function currentOrder() {
    return Array.prototype.map.call(outline.querySelectorAll(":scope > .studio-module"), function (module) {
      return {
        module: Number(module.getAttribute("data-module-id")),
        lessons: Array.prototype.map.call(module.querySelectorAll(".studio-lesson"), function (lesson) {
          return Number(lesson.getAttribute("data-lesson-id"));
        })
      };
    });
  }

  function save() {
    var body = new FormData();
    body.append("csrf_token", outline.getAttribute("data-csrf"));
    body.append("order", JSON.stringify(currentOrder()));
    say("Saving the new order…");
    fetch(outline.getAttribute("data-reorder-url"), {
      method: "POST", body: body, credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok || !data.ok) { throw new Error(data.message || "Not saved"); }
        say(data.message + " Reloading…");
        window.location.reload();
      });
    }).catch(function (error) {
      say("The order was not saved: " + error.message + " Reload the page and try again.");
    });
  }

  function makeDraggable(item, label) {
    var handle = document.createElement("button");
    handle.type = "button";
    handle.className = "studio-handle";
    handle.setAttribute("aria-hidden", "true");
    handle.tabIndex = -1;
    handle.title = "Drag to reorder " + label;
    handle.textContent = "⠿";
    var target = item.querySelector(".studio-item-head h3, .studio-lesson-title");
    if (target) { target.insertBefore(handle, target.firstChild); }
    handle.addEventListener("mousedown", function () { item.draggable = true; });
    handle.addEventListener("touchstart", function () { item.draggable = true; }, { passive: true });
    item.addEventListener("dragstart", function (event) {
      if (!item.draggable) { return; }
      event.stopPropagation();
      dragged = item;
      item.classList.add("studio-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", label);
    });
    item.addEventListener("dragend", function () {
      item.classList.remove("studio-dragging");
      item.draggable = false;
      if (dragged === item) { dragged = null; save(); }
    });
  }

  function placeOver(event, item) {
    if (!dragged || dragged === item) { return; }
    var sameKind = dragged.classList.contains("studio-module") === item.classList.contains("studio-module");
    if (!sameKind) {
      // A lesson dragged over an empty module's list joins that module.
      if (dragged.classList.contains("studio-lesson") && item.classList.contains("studio-module")) {
        var list = item.querySelector(".studio-lessons");
        if (list && !list.contains(dragged) && !list.querySelector(".studio-lesson")) { list.appendChild(dragged); }
      }
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    var box = item.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    item.parentNode.insertBefore(dragged, after ? item.nextSibling : item);
  }

  Array.prototype.forEach.call(outline.querySelectorAll(".studio-module, .studio-lesson"), function (item) {
    var title = item.querySelector("h3, .studio-lesson-title a");
    makeDraggable(item, title ? title.textContent.trim() : "item");
    item.addEventListener("dragover", function (event) { placeOver(event, item); });
    item.addEventListener("drop", function (event) { if (dragged) { event.preventDefault(); } });
  });
})();

// The lesson editor's sidebar forms (attach a file, pass mark, remove) are separate forms that reload the page,
// and so do its links: lesson changes not saved yet would be lost without a word. Say in the page that the
// lesson has unsaved changes, and ask before another form or leaving the page throws them away.
(function () {
  "use strict";
  var form = document.querySelector("form[data-unsaved-guard]");
  if (!form) { return; }
  var notice = document.querySelector("[data-unsaved-notice]");
  // A refused save comes back with what was typed: unsaved from the start.
  var startsUnsaved = form.hasAttribute("data-unsaved");
  var leaving = false;

  function fields() {
    return Array.prototype.map.call(form.elements, function (element) {
      if (!element.name || element.name === "csrf_token") { return ""; }
      var value = (element.type === "checkbox" || element.type === "radio") ? element.checked : element.value;
      return element.name + "=" + value;
    }).join("\n");
  }

  var loaded = fields();

  function unsaved() { return startsUnsaved || fields() !== loaded; }

  function showNotice() {
    if (!notice) { return; }
    var show = unsaved();
    if (show === !notice.hidden) { return; }
    notice.hidden = !show;
    notice.textContent = show ? notice.getAttribute("data-unsaved-notice") : "";
  }

  form.addEventListener("input", showNotice);
  form.addEventListener("change", showNotice);
  showNotice();

  // app.js registers its submit checks first: a submit it stopped (a file over the limit) leaves nothing.
  form.addEventListener("submit", function (event) {
    if (!event.defaultPrevented) { leaving = true; }
  });
  Array.prototype.forEach.call(document.querySelectorAll("form"), function (other) {
    if (other === form) { return; }
    other.addEventListener("submit", function (event) {
      if (event.defaultPrevented || leaving || !unsaved()) { return; }
      if (window.confirm("The lesson has unsaved changes, and this would throw them away. " +
                         "Press Cancel to go back and save the lesson first, or OK to continue without them.")) {
        leaving = true;
      } else {
        event.preventDefault();
        if (notice) { notice.scrollIntoView({ block: "nearest" }); }
      }
    });
  });
  window.addEventListener("beforeunload", function (event) {
    if (leaving || !unsaved()) { return; }
    event.preventDefault();
    event.returnValue = "";  // older browsers show their own "leave site?" question only with this set
  });
})();
