/* Pickers: every text field with data-auswahl becomes an editable combobox with a
   list of suggestions (WAI-ARIA Authoring Practices, "combobox with listbox popup,
   list autocomplete"). The suggestions come from the JSON endpoint the attribute
   names; choosing one writes its label into the field, and the server resolves that
   label like anything typed, so the form is the same with and without this script. */
(function () {
  "use strict";

  var WAIT_MS = 150; // one request after a short pause in typing, not one per key

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content) { node.textContent = content; }
    return node;
  }

  function enhance(input) {
    var box = input.closest(".auswahl") || input.parentNode;
    var list = element("ul", "auswahl-liste");
    list.id = input.id + "-vorschlaege";
    list.setAttribute("role", "listbox");
    var label = document.querySelector('label[for="' + input.id + '"]');
    if (label) {
      if (!label.id) { label.id = input.id + "-beschriftung"; }
      list.setAttribute("aria-labelledby", label.id);
    }
    list.hidden = true;
    var status = element("span", "sr-only");
    status.setAttribute("role", "status");
    box.appendChild(list);
    box.appendChild(status);

    input.removeAttribute("list"); // the browser's own datalist would compete
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("autocomplete", "off");

    var options = [];
    var active = -1;
    var timer = null;
    var asked = 0;
    var firstWhenShown = false;

    function address() {
      var url = new URL(input.dataset.auswahl, window.location.href);
      url.searchParams.set("q", input.value);
      (input.dataset.auswahlMit || "").split(/\s+/).forEach(function (name) {
        var field = name && input.form ? input.form.elements.namedItem(name) : null;
        if (!field || (field.type === "checkbox" && !field.checked)) { return; }
        url.searchParams.set(name, field.value);
      });
      return url;
    }

    function ask() {
      clearTimeout(timer);
      asked += 1;
      var mine = asked;
      fetch(address(), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(function (answer) {
          if (mine === asked) { show(answer.options || [], answer.more); }
        })
        .catch(function () {
          if (mine === asked) { close(); }
        });
    }

    function show(found, more) {
      options = found;
      active = -1;
      input.removeAttribute("aria-activedescendant");
      list.textContent = "";
      found.forEach(function (option, index) {
        var item = element("li", "", option.label);
        item.id = list.id + "-" + index;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        if (option.hint) { item.appendChild(element("span", "auswahl-hinweis", " – " + option.hint)); }
        // Keep the focus in the field: the click chooses, the field stays where it was.
        item.addEventListener("mousedown", function (event) { event.preventDefault(); });
        item.addEventListener("click", function () { choose(index); });
        list.appendChild(item);
      });
      if (!found.length) {
        close();
        status.textContent = "Keine Vorschläge.";
        return;
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      status.textContent = (found.length === 1 ? "1 Vorschlag" : found.length + " Vorschläge") +
        (more ? ", genauer tippen für weitere" : "") + ". Mit den Pfeiltasten auswählen.";
      if (firstWhenShown) { firstWhenShown = false; mark(0); }
    }

    function mark(index) {
      if (!options.length) { return; }
      active = (index + options.length) % options.length;
      Array.prototype.forEach.call(list.children, function (item, i) {
        item.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      var item = list.children[active];
      input.setAttribute("aria-activedescendant", item.id);
      item.scrollIntoView({ block: "nearest" });
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function choose(index) {
      input.value = options[index].label;
      close();
      status.textContent = options[index].label + " ausgewählt.";
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, WAIT_MS);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (open) {
          mark(active < 0 && event.key === "ArrowUp" ? -1 : active + (event.key === "ArrowDown" ? 1 : -1));
        } else {
          firstWhenShown = !event.altKey;
          ask();
        }
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault(); // choose, do not send the form yet
        choose(active);
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        } else if (input.value) {
          event.preventDefault();
          input.value = "";
        }
      } else if (event.key === "Tab") {
        close();
      }
    });
    input.addEventListener("blur", close);
    input.addEventListener("click", function () {
      if (list.hidden) { ask(); }
    });
  }

  document.querySelectorAll("input[data-auswahl]").forEach(enhance);
})();
