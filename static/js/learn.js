// Lesson pages: "Mark as done" without a reload, time-spent heartbeats while the learner is active,
// and copy/print buttons on certificates. Every feature has a no-JavaScript fallback in the HTML.
(function () {
  "use strict";

  var BEAT_EVERY = 30000;          // send measured time every 30 s
  var TICK = 5000;                 // sample activity every 5 s
  var IDLE_AFTER = 5 * 60 * 1000;  // no input for 5 minutes: the learner has gone away

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // --- Mark as done ---------------------------------------------------------------------------
  function showDone(form, data) {
    var box = form.closest("[data-done-box]");
    var result = box.querySelector("[data-done-result]");
    var done = document.createElement("p");
    done.className = "done-message";
    done.textContent = "\u2713 You completed this lesson.";
    form.replaceWith(done);
    var status = document.querySelector("[data-lesson-status] .status");
    if (status) {
      status.className = "status status-done";
      status.textContent = "\u2713 Done";
    }
    box.querySelectorAll('[role="progressbar"]').forEach(function (bar) {
      bar.setAttribute("aria-valuenow", String(data.percent));
      var fill = bar.querySelector("span");
      if (fill) { fill.style.width = data.percent + "%"; }
    });
    box.querySelectorAll("[data-progress-value]").forEach(function (el) {
      el.textContent = data.percent + "% complete";
    });
    result.textContent = "";
    var link = document.createElement("a");
    link.className = "button";
    if (data.course_completed) {
      result.append("You finished the course! ");
      link.href = data.certificate_url || data.course_url;
      link.textContent = data.certificate_url ? "View your certificate" : "Back to the course";
    } else if (data.next_url) {
      result.append("Up next: ");
      link.href = data.next_url;
      link.textContent = data.next_title;
    } else {
      link.href = data.course_url;
      link.textContent = "Back to the course";
    }
    result.append(link);
    link.focus();
  }

  document.querySelectorAll("form[data-mark-done]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button");
      button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "Accept": "application/json" },
        credentials: "same-origin"
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (reply) {
        if (reply.ok && reply.data.ok) {
          showDone(form, reply.data);
        } else {
          button.disabled = false;
          var result = form.closest("[data-done-box]").querySelector("[data-done-result]");
          result.textContent = reply.data.message || "That did not work. Please try again.";
        }
      }).catch(function () {
        form.submit();  // network or parsing trouble: fall back to the plain form post
      });
    });
  });

  // --- Time spent -----------------------------------------------------------------------------
  var lessonPage = document.querySelector("[data-heartbeat-url]");
  if (lessonPage) {
    var url = lessonPage.getAttribute("data-heartbeat-url");
    var lessonId = lessonPage.getAttribute("data-lesson-id");
    var lastInput = Date.now();
    var activeMs = 0;

    ["mousemove", "keydown", "scroll", "touchstart", "click", "play"].forEach(function (name) {
      document.addEventListener(name, function () { lastInput = Date.now(); }, { passive: true, capture: true });
    });

    var beatData = function () {
      var data = new FormData();
      data.append("csrf_token", csrfToken());
      data.append("lesson_id", lessonId);
      data.append("seconds", String(Math.round(activeMs / 1000)));
      activeMs = 0;
      return data;
    };

    var send = function (useBeacon) {
      if (activeMs < 1000) { return; }
      var data = beatData();
      if (useBeacon && navigator.sendBeacon) {
        navigator.sendBeacon(url, data);
      } else {
        fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" } })
          .catch(function () { /* a lost beat only loses a few seconds */ });
      }
    };

    setInterval(function () {
      if (document.visibilityState === "visible" && Date.now() - lastInput < IDLE_AFTER) {
        activeMs += TICK;
      }
    }, TICK);
    setInterval(function () { send(false); }, BEAT_EVERY);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { send(true); }
    });
    window.addEventListener("pagehide", function () { send(true); });
  }

  // --- Certificates ---------------------------------------------------------------------------
  document.querySelectorAll("[data-copy-button]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy-button"));
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy link"; }, 2000);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done);
      } else {
        input.select();
        document.execCommand("copy");
        done();
      }
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
