/* evidence — behaviour shared by every record form (no libraries, nothing from the internet).

   - <input data-autocomplete="units|persons|places|sources|incidents">: an accessible
     combobox that suggests records by name or alias (GET /lookup/<kind>?q=) and fills in
     the chosen record's key.
   - <input data-edtf>: a live preview of a date phrase or EDTF date: how it reads and the
     EDTF it will be stored as (GET /lookup/date).
   - <div data-repeat="involvements"> with rows [data-repeat-row] and a
     <button data-add-row="involvements">: adds a blank copy of the last row, renumbering
     WTForms FieldList names (involvements-1-unit -> involvements-2-unit), nested lists too.
   - <input data-key-from="title">: shows the key that will be generated from the title.
   - Beside a reference field whose typed name named several records or none: radio
     buttons [data-fills] that also write the chosen key into the field, and a "create it"
     button [data-create-page] (see _macros.html _typed_name).
   Without JavaScript every form still works: keys are typed, dates checked on saving. */
(function () {
  "use strict";

  if (window.evidenceForms) { return; }  // included twice on a page: wire things up once
  window.evidenceForms = true;

  var LOOKUP = "/lookup/";
  var DELAY = 150;
  var counter = 0;

  // Every word shown comes translated from the page (data-text-* on <body>, base.html).
  function pageText(name) { return document.body.getAttribute("data-text-" + name) || ""; }

  function debounce(fn) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, DELAY);
    };
  }

  function getJSON(url, done) {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { done(data); } })
      .catch(function () { /* offline or signed out: the form still works without hints */ });
  }

  function describeBy(input, id) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (ids.indexOf(id) < 0) { ids.push(id); }
    input.setAttribute("aria-describedby", ids.join(" "));
  }

  function generated(element) {
    element.setAttribute("data-generated", "");
    return element;
  }

  // --- autocomplete (WAI-ARIA combobox with a listbox popup) -------------------------------

  function attachAutocomplete(input) {
    // A name typed before this script ran (a slow connection) went unheard: it is looked
    // up below. Moving the field into its combobox takes its focus, which is given back.
    var typedEarly = document.activeElement === input && input.value !== input.defaultValue;
    var kind = input.getAttribute("data-autocomplete");
    var listId = input.id + "-suggestions-" + (++counter);
    var list = generated(document.createElement("ul"));
    list.id = listId;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", pageText("suggestions"));
    list.hidden = true;
    var chosen = generated(document.createElement("p"));
    chosen.className = "chosen-record";
    chosen.id = input.id + "-chosen-" + counter;
    chosen.setAttribute("aria-live", "polite");
    var wrap = generated(document.createElement("div"));
    wrap.className = "combobox";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    wrap.appendChild(list);
    wrap.parentNode.insertBefore(chosen, wrap.nextSibling);
    describeBy(input, chosen.id);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");
    var results = [];
    var active = -1;

    function close() {
      list.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      active = index;
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (options[index]) {
        input.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      }
    }

    function choose(index) {
      var result = results[index];
      if (!result || !result.key) { return; }
      input.value = result.key;
      chosen.textContent = pageText("chosen").replace("{label}", result.label);
      close();
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function show(data) {
      if (data.query !== input.value.trim()) { return; }  // an older answer
      results = data.results.filter(function (r) { return r.key; });
      list.textContent = "";
      results.forEach(function (result, i) {
        var option = document.createElement("li");
        option.id = listId + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        var label = document.createElement("span");
        label.className = "suggestion-label";
        label.textContent = result.label;
        var detail = document.createElement("span");
        detail.className = "suggestion-detail";
        detail.textContent = result.key + (result.aliases.length ? " · " + result.aliases.join(", ") : "");
        option.appendChild(label);
        option.appendChild(detail);
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();  // keep focus in the input
          choose(i);
        });
        list.appendChild(option);
      });
      if (!results.length) {
        var none = document.createElement("li");
        none.className = "suggestion-none";
        none.textContent = pageText("no-match");
        list.appendChild(none);
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    var search = debounce(function () {
      var text = input.value.trim();
      if (!text) { close(); return; }
      getJSON(LOOKUP + encodeURIComponent(kind) + "?q=" + encodeURIComponent(text), show);
    });

    input.addEventListener("input", function () { chosen.textContent = ""; search(); });
    input.addEventListener("blur", close);
    input.addEventListener("keydown", function (event) {
      var count = results.length;
      if (event.key === "ArrowDown" && count) {
        event.preventDefault();
        if (list.hidden) { show({ query: input.value.trim(), results: results }); }
        highlight((active + 1) % count);
      } else if (event.key === "ArrowUp" && count) {
        event.preventDefault();
        highlight((active - 1 + count) % count);
      } else if (event.key === "Enter" && !list.hidden && active >= 0) {
        event.preventDefault();  // choosing, not submitting the form
        choose(active);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    if (typedEarly) {
      input.focus();
      search();
    }
  }

  // --- EDTF preview ------------------------------------------------------------------------

  function attachDatePreview(input) {
    var preview = generated(document.createElement("p"));
    preview.className = "edtf-preview";
    preview.id = input.id + "-preview-" + (++counter);
    preview.setAttribute("aria-live", "polite");
    input.parentNode.insertBefore(preview, input.nextSibling);
    describeBy(input, preview.id);

    function show(data) {
      if (data.value !== undefined && data.value !== input.value.trim()) { return; }
      preview.classList.toggle("edtf-invalid", !data.valid && !!data.error);
      if (data.valid) {
        var range = data.range_text ? " (" + data.range_text + ")" : "";
        preview.textContent = pageText("reads-as")
          .replace("{text}", data.text + range).replace("{edtf}", data.edtf);
      } else {
        preview.textContent = data.error || "";
      }
    }

    var check = debounce(function () {
      var value = input.value.trim();
      if (!value) { preview.textContent = ""; return; }
      getJSON(LOOKUP + "date?value=" + encodeURIComponent(value), function (data) {
        data.value = value;
        show(data);
      });
    });
    input.addEventListener("input", check);
    if (input.value.trim()) { check(); }
  }

  // --- keys generated from titles ----------------------------------------------------------

  function slug(text) {
    return text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80);
  }

  function attachKeyPreview(input) {
    var source = input.form && input.form.elements[input.getAttribute("data-key-from")];
    if (!source) { return; }
    function update() {
      var text = source.value.trim();
      var made = /^[\x00-\x7f]*$/.test(text) ? slug(text) : "";
      input.placeholder = made ? pageText("key-made").replace("{key}", made) : pageText("key-later");
    }
    source.addEventListener("input", update);
    update();
  }

  // --- "add another" rows ------------------------------------------------------------------

  function rowsOf(container) {
    return Array.prototype.filter.call(container.children, function (child) {
      return child.hasAttribute("data-repeat-row");
    });
  }

  function highestIndex(container, prefix) {
    var pattern = new RegExp("^" + prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "-(\\d+)-");
    var highest = -1;
    container.querySelectorAll("[name]").forEach(function (element) {
      var match = pattern.exec(element.name);
      if (match) { highest = Math.max(highest, parseInt(match[1], 10)); }
    });
    return highest;
  }

  var RENAMED = ["name", "id", "for", "aria-describedby", "aria-controls", "data-repeat", "data-add-row"];

  function renumber(root, prefix, from, to) {
    var escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    var pattern = new RegExp("(^|\\s)" + escaped + "-" + from + "(?=-|\\s|$)", "g");
    [root].concat(Array.prototype.slice.call(root.querySelectorAll("*"))).forEach(function (el) {
      RENAMED.forEach(function (attribute) {
        var value = el.getAttribute(attribute);
        if (value) { el.setAttribute(attribute, value.replace(pattern, "$1" + prefix + "-" + to)); }
      });
    });
  }

  function blank(row) {
    // Undo what the enhancements added; they are attached again to the new row.
    row.querySelectorAll(".combobox").forEach(function (wrap) {
      var input = wrap.querySelector("input");
      wrap.parentNode.insertBefore(input, wrap);
      wrap.remove();
    });
    row.querySelectorAll("[data-generated], .field-error, .typed-name").forEach(function (el) { el.remove(); });
    row.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    row.querySelectorAll("input, textarea, select").forEach(function (el) {
      el.removeAttribute("aria-invalid");
      ["role", "aria-autocomplete", "aria-expanded", "aria-controls", "aria-activedescendant"]
        .forEach(function (attribute) { el.removeAttribute(attribute); });
      var described = (el.getAttribute("aria-describedby") || "").split(/\s+/)
        .filter(function (id) { return id && row.querySelector("[id='" + id + "']"); });
      if (described.length) { el.setAttribute("aria-describedby", described.join(" ")); }
      else { el.removeAttribute("aria-describedby"); }
      if (el.tagName === "SELECT") {
        var preferred = el.getAttribute("data-default");
        el.value = preferred !== null ? preferred : el.options[0] && el.options[0].value;
      } else if (el.type === "checkbox" || el.type === "radio") {
        el.checked = false;
      } else {
        el.value = "";
      }
    });
    // A nested list starts again with one row.
    row.querySelectorAll("[data-repeat]").forEach(function (nested) {
      rowsOf(nested).slice(1).forEach(function (extra) { extra.remove(); });
    });
  }

  function addRow(button) {
    var container = button.closest("[data-repeat]");
    var prefix = container.getAttribute("data-repeat");
    var rows = rowsOf(container);
    var last = rows[rows.length - 1];
    var from = highestIndex(last, prefix);
    var to = highestIndex(container, prefix) + 1;
    var row = last.cloneNode(true);
    blank(row);
    renumber(row, prefix, from, to);
    var number = row.querySelector("[data-row-number]");
    if (number) { number.textContent = String(rows.length + 1); }
    last.parentNode.insertBefore(row, last.nextSibling);
    enhance(row);
    var first = row.querySelector("input:not([type=hidden]), select, textarea");
    if (first) { first.focus(); }
  }

  // --- wiring --------------------------------------------------------------------------------

  function enhance(root) {
    root.querySelectorAll("input[data-autocomplete]").forEach(attachAutocomplete);
    root.querySelectorAll("input[data-edtf]").forEach(attachDatePreview);
    root.querySelectorAll("input[data-key-from]").forEach(attachKeyPreview);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-row]");
    if (button) {
      event.preventDefault();
      addRow(button);
    }
  });

  // A record chosen among those a typed name named: its key goes into the field too.
  document.addEventListener("change", function (event) {
    var choice = event.target.closest("input[data-fills]");
    var field = choice && document.getElementById(choice.getAttribute("data-fills"));
    if (field) { field.value = choice.value; }
  });

  // "Create it": the dialog that creates a record inside the form handles the click (and
  // prevents its default); without one, the kind's "new" page opens in another tab with
  // the name filled in, so what was typed in this form stays.
  window.addEventListener("click", function (event) {
    var button = event.target.closest("[data-create-page]");
    if (button && !event.defaultPrevented) {
      window.open(button.getAttribute("data-create-page"), "_blank", "noopener");
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  } else {
    enhance(document);
  }
})();
