/* Uploads with one progress bar per file, drag and drop (also onto a Vorgang), new
   versions from the Akte table; afterwards the document list is fetched again and the
   result announced in the page's status region (#meldung). The plain forms work without. */
(function () {
  "use strict";

  function text(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content) { node.textContent = content; }
    return node;
  }

  // The one status region of base.html: screen readers announce what is written into it.
  function announce(message) {
    var region = document.getElementById("meldung");
    if (!region) { return; }
    region.textContent = "";
    region.appendChild(text("p", "meldung", message));
  }

  // The documents section afresh from the server; resolves false when that failed.
  function refreshList() {
    var old = document.querySelector("[data-document-list]");
    if (!old || !window.fetch || !window.DOMParser) { return Promise.resolve(false); }
    return fetch(old.getAttribute("data-document-list"), {
      credentials: "same-origin",
      headers: {"X-Requested-With": "XMLHttpRequest"}
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.text();
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html")
        .querySelector("[data-document-list]");
      if (!fresh) { return false; }
      old.replaceWith(document.importNode(fresh, true));
      return true;
    }).catch(function () { return false; });
  }

  function plural(count, one, many) { return count + " " + (count === 1 ? one : many); }

  // One file in one request, with its own progress bar in `list`; resolves to the answer or null.
  function sendOne(form, file, fields, list) {
    return new Promise(function (resolve) {
      var item = text("li");
      var id = "fortschritt-" + Math.random().toString(36).slice(2);
      var label = text("label", "", file.name);
      label.htmlFor = id;
      var bar = document.createElement("progress");
      bar.id = id;
      bar.max = 100;
      bar.value = 0;
      var state = text("span", "", "wird hochgeladen …");
      item.appendChild(label);
      item.appendChild(bar);
      item.appendChild(state);
      list.appendChild(item);

      function fail(message) {
        state.textContent = "Fehler";
        item.appendChild(text("span", "feldfehler", file.name + ": " + message));
        resolve(null);
      }
      var tooLarge = form.getAttribute("data-too-large") || "Die Datei ist größer als erlaubt.";
      var maxBytes = Number(form.getAttribute("data-max-bytes"));
      if (maxBytes && file.size > maxBytes) {  // why send gigabytes only to be refused
        fail(tooLarge);
        return;
      }

      var data = new FormData();
      fields.forEach(function (pair) { data.append(pair[0], pair[1]); });
      data.append("datei", file, file.name);

      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      request.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      request.setRequestHeader("Accept", "application/json");
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          bar.value = Math.round((event.loaded / event.total) * 100);
        }
      });
      request.addEventListener("load", function () {
        var answer = null;
        try { answer = JSON.parse(request.responseText); } catch (ignored) { answer = null; }
        if (request.status < 300 && answer && answer.ok) {
          bar.value = 100;
          state.textContent = "fertig";
          state.className = "akte-ok";
          resolve(answer);
        } else {
          fail((answer && answer.error) || (request.status === 413
            ? tooLarge
            : "Das Hochladen ist fehlgeschlagen."));
        }
      });
      request.addEventListener("error", function () {
        fail("Keine Verbindung zum Server. Bitte versuchen Sie es noch einmal.");
      });
      request.send(data);
    });
  }

  function hiddenFields(form) {
    var fields = [];
    form.querySelectorAll("input[type=hidden], select").forEach(function (field) {
      fields.push([field.name, field.value]);
    });
    return fields;
  }

  function enhanceUpload(form) {
    var input = form.querySelector("input[type=file]");
    var list = form.querySelector("[data-progress]");
    var zone = form.querySelector("[data-dropzone]");
    var button = form.querySelector("button[type=submit]");
    var title = form.querySelector("[name=titel]");
    var process = form.querySelector("select[name=vorgang]");
    if (!input || !list || !window.FormData || !window.Promise) { return null; }

    function noFile() {
      var error = form.querySelector("#datei-fehler-js");
      if (!error) {
        error = text("span", "feldfehler", "Bitte wählen Sie mindestens eine Datei aus.");
        error.id = "datei-fehler-js";
        input.insertAdjacentElement("afterend", error);
        input.setAttribute("aria-describedby",
          (input.getAttribute("aria-describedby") || "") + " datei-fehler-js");
      }
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }

    function start(files) {
      if (!files.length) { noFile(); return; }
      input.removeAttribute("aria-invalid");
      list.textContent = "";
      button.disabled = true;
      var fields = hiddenFields(form);
      if (files.length === 1 && title) { fields.push(["titel", title.value]); }
      var where = process && process.value
        ? " in den Vorgang „" + process.options[process.selectedIndex].text + "“"
        : "";
      // One after the other: honest progress, and the server gets one file per request.
      var chain = Promise.resolve([]);
      Array.prototype.forEach.call(files, function (file) {
        chain = chain.then(function (results) {
          return sendOne(form, file, fields, list).then(function (answer) {
            return results.concat([answer]);
          });
        });
      });
      chain.then(function (results) {
        var done = results.filter(Boolean).length;
        button.disabled = false;
        input.value = "";
        if (title) { title.value = ""; }
        var summary = text("li", done === results.length ? "akte-ok" : "feldfehler");
        summary.textContent = done + " von " + results.length + " Dateien hochgeladen.";
        list.appendChild(summary);
        var message = plural(done, "Dokument wurde", "Dokumente wurden") + where + " hochgeladen.";
        if (done < results.length) {
          message += " " + plural(results.length - done, "Datei", "Dateien") +
            " nicht: siehe Fehler beim Hochladen.";
        }
        var refreshed = done ? refreshList() : Promise.resolve(true);
        refreshed.then(function (ok) {
          if (!ok) {  // a real reload: the address changes, so the browser loads the page
            var link = text("a", "", " Dokumentliste aktualisieren");
            link.href = window.location.pathname + "?hochgeladen=" + done + "#dokumente";
            summary.appendChild(link);
          }
          announce(message);
          input.focus();
        });
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      start(input.files);
    });
    if (zone) { dropTarget(zone, function (files) { start(files); }); }
    return {
      // Files dropped onto a Vorgang: that Vorgang is chosen in the form, then they go.
      dropInto: function (processId, files) {
        if (process) { process.value = processId; }
        start(files);
      }
    };
  }

  function dropTarget(zone, onFiles) {
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("akte-ziehen");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("akte-ziehen"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        onFiles(event.dataTransfer.files);
      }
    });
  }

  // The Vorgang groups are replaced after each upload: listen on the document instead.
  function enhanceGroups(upload) {
    function group(event) { return event.target.closest && event.target.closest("[data-drop-process]"); }
    ["dragenter", "dragover"].forEach(function (name) {
      document.addEventListener(name, function (event) {
        var zone = group(event);
        if (!zone) { return; }
        event.preventDefault();
        zone.classList.add("akte-ziehen");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      document.addEventListener(name, function (event) {
        var zone = group(event);
        if (zone) { zone.classList.remove("akte-ziehen"); }
      });
    });
    document.addEventListener("drop", function (event) {
      var zone = group(event);
      if (!zone) { return; }
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        upload.dropInto(zone.getAttribute("data-drop-process"), event.dataTransfer.files);
      }
    });
  }

  // "Neue Version" in the Akte table: progress in the row, then the list and a message.
  function sendVersion(form) {
    var input = form.querySelector("input[type=file]");
    var list = form.querySelector("[data-progress]");
    var button = form.querySelector("button[type=submit]");
    if (!input.files.length) { input.focus(); return; }
    button.disabled = true;
    list.textContent = "";
    var name = form.getAttribute("data-title");
    sendOne(form, input.files[0], hiddenFields(form), list).then(function (answer) {
      button.disabled = false;
      if (!answer) { input.focus(); return; }
      var message = "Version " + answer.version + " von „" + name + "“ wurde hochgeladen.";
      refreshList().then(function (ok) {
        if (ok) {
          var row = document.querySelector(
            "[data-document-list] a[href$='/dokumente/" + answer.document + "']");
          if (row) { row.focus(); }
        }
        announce(message);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.FormData || !window.Promise) { return; }
    var upload = null;
    document.querySelectorAll("form[data-upload]").forEach(function (form) {
      upload = enhanceUpload(form) || upload;
    });
    if (upload) { enhanceGroups(upload); }
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.matches && form.matches("form[data-version-upload]")) {
        event.preventDefault();
        sendVersion(form);
      }
    });
  });
}());
