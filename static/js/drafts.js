/* evidence — typed input is never lost (no libraries, nothing from the internet).

   Loaded by the incident and statement forms (templates/drafts/_form_tools.html):
   - <form data-draft-form="incident|statement">: what is typed is autosaved as the user's
     draft on the server (POST data-draft-url, at most every few seconds and when the tab is
     hidden or closed); the draft's id is kept in <input data-draft-id> and sent with the
     form, whose saving deletes the draft. Leaving the changed form asks first
     (beforeunload), except when it is being saved.
   - <dialog data-create-dialog>: beside each place, unit, person and source field a
     "New…" button opens the kind's new-record form in the dialog; once created, the field
     holds the new record's key. Any <button data-create="KIND" data-create-name="TYPED"
     data-create-for="FIELD_ID"> opens it too, prefilled with the name, for that field.
   Every text shown comes translated from the page (data-* attributes of the dialog). */
(function () {
  "use strict";

  var SAVE_EVERY = 2000;  // milliseconds between autosaves while typing
  var KINDS = { places: "place", units: "unit", persons: "person", sources: "source" };

  function csrfToken(form) {
    var field = form.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  // --- drafts and the leave warning ---------------------------------------------------

  function keepDrafts(form, texts) {
    var idField = form.querySelector("[data-draft-id]");
    var status = document.querySelector("[data-draft-status]");
    var changed = form.hasAttribute("data-unsaved");
    var submitting = false;
    var timer = null;

    function fields() {
      var pairs = [];
      new FormData(form).forEach(function (value, name) {
        if (typeof value === "string" && name !== "csrf_token" && name !== "draft") {
          pairs.push([name, value]);
        }
      });
      return pairs;
    }

    function say(text) { if (status) { status.textContent = text; } }

    function save(options) {
      timer = null;
      var body = JSON.stringify({
        form: form.getAttribute("data-draft-form"),
        record: form.getAttribute("data-draft-record") || null,
        draft: idField.value || null,
        fields: fields()
      });
      return fetch(form.getAttribute("data-draft-url"), {
        method: "POST",
        credentials: "same-origin",
        keepalive: !!(options && options.leaving),
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(form) },
        body: body
      }).then(function (response) {
        if (response.status === 404 && idField.value) {
          idField.value = "";  // deleted meanwhile (saved in another tab): a new draft
          return save(options);
        }
        if (!response.ok) { throw new Error("draft not saved"); }
        return response.json().then(function (data) {
          if (submitting) { return; }
          idField.value = String(data.draft);
          // A 24-hour clock: Chromium lacks Belarusian and would fall back to English "AM".
          var time = new Date().toLocaleTimeString(document.documentElement.lang,
            { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
          say(texts.draftSaved.replace("{time}", time));
        });
      }).catch(function () {
        if (!submitting) { say(texts.draftFailed); schedule(); }
      });
    }

    function schedule() {
      if (!timer && !submitting) { timer = setTimeout(save, SAVE_EVERY); }
    }

    function noteChange() {
      changed = true;
      schedule();
    }

    form.addEventListener("input", noteChange);
    form.addEventListener("change", noteChange);
    form.addEventListener("submit", function () {
      submitting = true;
      clearTimeout(timer);
      timer = null;
    });
    function saveNow() {
      if (timer) {
        clearTimeout(timer);
        save({ leaving: true });
      }
    }
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { saveNow(); }
    });
    window.addEventListener("pagehide", saveNow);
    window.addEventListener("beforeunload", function (event) {
      if (changed && !submitting) {
        event.preventDefault();
        event.returnValue = "";  // older browsers need a value to ask
      }
    });
  }

  // --- creating a record without leaving the form --------------------------------------

  function createDialog(dialog) {
    var body = dialog.querySelector("[data-create-body]");
    var target = null;
    var opener = null;

    function text(name) { return dialog.getAttribute("data-" + name) || ""; }

    function addNewButtons(root) {
      root.querySelectorAll("input[data-autocomplete]").forEach(function (input) {
        var kind = KINDS[input.getAttribute("data-autocomplete")];
        var field = input.closest(".field");
        if (!kind || !field || field.querySelector(".create-new")) { return; }
        var button = document.createElement("button");
        button.type = "button";
        button.className = "button button-secondary create-new";
        button.setAttribute("data-create", kind);
        button.textContent = text("new-" + kind);
        field.appendChild(button);
      });
    }

    function show(html) {
      body.innerHTML = html;
      var problem = body.querySelector(".error-summary, .duplicate-warning");
      var first = body.querySelector("[aria-invalid=true]") ||
        body.querySelector("input:not([type=hidden]), select, textarea");
      (problem && problem.classList.contains("error-summary") ? problem : first || body).focus();
    }

    function say(message) {
      body.textContent = "";
      var paragraph = document.createElement("p");
      paragraph.setAttribute("role", "alert");
      paragraph.textContent = message;
      body.appendChild(paragraph);
    }

    function fragmentOrError(html) {
      var page = new DOMParser().parseFromString(html, "text/html");
      var form = page.querySelector("[data-create-form]");
      if (form) { show(form.outerHTML); return; }
      // An error page (an expired form, a refused request): its own words, translated.
      var message = page.querySelector(".error-page h1 + p");
      say(message ? message.textContent : text("failed"));
    }

    function fill(record) {
      dialog.close();
      if (!target) { return; }
      target.value = record.key;
      var wrap = target.closest(".combobox") || target;
      var chosen = wrap.nextElementSibling;
      if (chosen && chosen.classList.contains("chosen-record")) {
        chosen.textContent = text("chosen").replace("{label}", record.label);
      }
      target.dispatchEvent(new Event("change", { bubbles: true }));
      target.focus();
    }

    function open(button) {
      var kind = button.getAttribute("data-create");
      var url = text("url-" + kind);
      if (!url) { return; }
      var forId = button.getAttribute("data-create-for");
      target = forId ? document.getElementById(forId) : (function () {
        var field = button.closest(".field");
        return field && field.querySelector("input[data-autocomplete]");
      })();
      opener = button;
      var name = button.getAttribute("data-create-name") || "";
      say(text("loading"));
      if (!dialog.open) { dialog.showModal(); }
      fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          fragmentOrError(html);
          var first = body.querySelector("input[name=name], input[name=title]");
          if (first && name) { first.value = name; }
          if (first) { first.focus(); }
        })
        .catch(function () { say(text("failed")); });
    }

    function send(form) {
      fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json, text/html" },
        body: new FormData(form)
      }).then(function (response) {
        if (response.status === 201) { return response.json().then(fill); }
        return response.text().then(fragmentOrError);
      }).catch(function () { say(text("failed")); });
    }

    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-create]");
      if (button) {
        event.preventDefault();
        open(button);
      } else if (event.target.closest("[data-create-cancel]")) {
        dialog.close();
      }
    });
    dialog.addEventListener("submit", function (event) {
      var form = event.target.closest("[data-create-form]");
      if (!form) { return; }
      event.preventDefault();
      event.stopPropagation();  // not the enclosing page's form
      send(form);
    });
    dialog.addEventListener("close", function () {
      body.textContent = "";
      if (opener && document.contains(opener)) { opener.focus(); }
    });
    addNewButtons(document);
  }

  function start() {
    var dialog = document.querySelector("[data-create-dialog]");
    if (!dialog) { return; }
    var form = document.querySelector("form[data-draft-form]");
    if (form) {
      keepDrafts(form, {
        draftSaved: dialog.getAttribute("data-draft-saved"),
        draftFailed: dialog.getAttribute("data-draft-failed")
      });
    }
    createDialog(dialog);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
