// The upload page: drop zone and one request per file with its own progress bar.
// Without this file the form posts all chosen files at once and works the same.
(function () {
  "use strict";

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  function csrfToken(form) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : form.querySelector('[name="_csrf_token"]').value;
  }

  function row(list, name) {
    var item = document.createElement("li");
    item.className = "upload-item";
    var label = document.createElement("span");
    label.className = "upload-name";
    label.textContent = name;
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", name);
    var note = document.createElement("span");
    note.className = "upload-note";
    item.append(label, bar, note);
    list.appendChild(item);
    return { item: item, bar: bar, note: note };
  }

  function send(form, file, view) {
    return new Promise(function (resolve) {
      var data = new FormData();
      data.append("files", file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("x-csrftoken", csrfToken(form));
      xhr.setRequestHeader("accept", "application/json");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) { view.bar.value = Math.round((event.loaded / event.total) * 100); }
      });
      xhr.addEventListener("load", function () {
        var answer = null;
        try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
        if (xhr.status === 201 && answer && answer.files && answer.files.length) {
          var created = answer.files[0];
          view.bar.value = 100;
          view.item.classList.add("done");
          view.note.textContent = form.dataset.done + " ";
          var link = document.createElement("a");
          link.href = created.url;
          link.textContent = form.dataset.open;
          view.note.appendChild(link);
          resolve(created);
        } else {
          view.item.classList.add("error");
          view.note.textContent = (answer && answer.error) || form.dataset.failed;
          if (answer && answer.link) {
            var where = document.createElement("a");
            where.href = answer.link.url;
            where.textContent = answer.link.text;
            view.note.append(" ", where);
          }
          resolve(null);
        }
      });
      xhr.addEventListener("error", function () {
        view.item.classList.add("error");
        view.note.textContent = form.dataset.failed;
        resolve(null);
      });
      xhr.send(data);
    });
  }

  function upload(form, files) {
    var list = form.querySelector("[data-upload-list]");
    var maxBytes = parseInt(form.dataset.maxBytes, 10);
    var maxFiles = parseInt(form.dataset.maxFiles, 10);
    list.innerHTML = "";
    files = Array.prototype.slice.call(files);
    if (files.length > maxFiles) {
      row(list, form.dataset.tooMany).item.classList.add("error");
      return;
    }
    var first = null;
    var jobs = files.map(function (file) {
      var view = row(list, file.name);
      if (file.size > maxBytes) {
        view.item.classList.add("error");
        view.note.textContent = format(form.dataset.tooLarge, { name: file.name, limit: Math.round(maxBytes / 1048576) });
        return Promise.resolve(null);
      }
      if (form.dataset.firstAlone === undefined) { return send(form, file, view); }
      // A new visitor: the first answer gives the session its key, the other files wait for it.
      if (first === null) {
        first = send(form, file, view).then(function (created) {
          delete form.dataset.firstAlone;
          return created;
        });
        return first;
      }
      return first.then(function () { return send(form, file, view); });
    });
    Promise.all(jobs).then(function (created) {
      var ok = created.filter(Boolean);
      if (ok.length === 1 && files.length === 1) { window.location.assign(ok[0].url); }
    });
  }

  function setUp(form) {
    if (form.dataset.ready) { return; }
    form.dataset.ready = "1";
    var input = form.querySelector('input[type="file"]');
    var zone = form.querySelector("[data-drop-zone]");
    form.querySelector("[data-upload-submit]").hidden = true;
    input.addEventListener("change", function () { if (input.files.length) { upload(form, input.files); } });
    form.addEventListener("submit", function (event) { event.preventDefault(); upload(form, input.files); });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) { event.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) { upload(form, event.dataTransfer.files); }
    });
  }

  function scan() { document.querySelectorAll("form[data-upload]").forEach(setUp); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", scan);
  } else {
    scan();
  }
  document.addEventListener("htmx:load", scan);
})();
