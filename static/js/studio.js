// Studio: drag-and-drop reordering of modules and lessons. Enhances the Up/Down buttons, which keep
// working without JavaScript; the new order is posted to the same server-side rules as those buttons.
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
