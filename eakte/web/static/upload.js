/* Upload with one progress bar per file and drag and drop; the plain form works without it. */
(function () {
  "use strict";

  function text(tag, className, content) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (content) { node.textContent = content; }
    return node;
  }

  function sendOne(form, file, single, list) {
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
        resolve(false);
      }
      var tooLarge = form.getAttribute("data-too-large") || "Die Datei ist größer als erlaubt.";
      var maxBytes = Number(form.getAttribute("data-max-bytes"));
      if (maxBytes && file.size > maxBytes) {  // why send gigabytes only to be refused
        fail(tooLarge);
        return;
      }

      var data = new FormData();
      form.querySelectorAll("input[type=hidden], select").forEach(function (field) {
        data.append(field.name, field.value);
      });
      var title = form.querySelector("[name=titel]");
      if (single && title) { data.append("titel", title.value); }
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
          resolve(true);
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

  function enhance(form) {
    var input = form.querySelector("input[type=file]");
    var list = form.querySelector("[data-progress]");
    var zone = form.querySelector("[data-dropzone]");
    var button = form.querySelector("button[type=submit]");
    if (!input || !list || !window.FormData || !window.Promise) { return; }

    function start(files) {
      if (!files.length) { input.focus(); return; }
      list.textContent = "";
      button.disabled = true;
      var single = files.length === 1;
      // One after the other: honest progress, and the server gets one file per request.
      var chain = Promise.resolve([]);
      Array.prototype.forEach.call(files, function (file) {
        chain = chain.then(function (results) {
          return sendOne(form, file, single, list).then(function (ok) {
            return results.concat([ok]);
          });
        });
      });
      chain.then(function (results) {
        button.disabled = false;
        input.value = "";
        var done = results.filter(Boolean).length;
        var summary = text("li", done === results.length ? "akte-ok" : "feldfehler");
        summary.textContent = done + " von " + results.length + " Dateien hochgeladen. ";
        var link = text("a", "", "Dokumentliste aktualisieren");
        link.href = window.location.pathname + "#dokumente";
        summary.appendChild(link);
        list.appendChild(summary);
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      start(input.files);
    });
    if (zone) {
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
          start(event.dataTransfer.files);
        }
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-upload]").forEach(enhance);
  });
}());
