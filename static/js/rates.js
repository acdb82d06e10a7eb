// The rate card editor's search, as one types: only the matching fields are shown and their
// panels opened. Without this file the search box reloads the page with ?q= and the server
// opens and marks the same fields (unsaved edits are kept here, as the page is not reloaded).
(function () {
  "use strict";
  var box = document.querySelector("[data-rate-search]");
  if (!box) {
    return;
  }
  var panels = Array.prototype.slice.call(document.querySelectorAll("details.rate-panel"));
  var wasOpen = panels.map(function (panel) { return panel.open; });

  function filter() {
    var query = box.value.trim().toLocaleLowerCase();
    panels.forEach(function (panel, index) {
      var title = panel.querySelector("summary").textContent.toLocaleLowerCase();
      var found = 0;
      panel.querySelectorAll(".rate-field").forEach(function (field) {
        var group = field.closest(".rate-grid").previousElementSibling;
        var text = (field.getAttribute("data-search") + " " + title + " " +
                    (group ? group.textContent : "")).toLocaleLowerCase();
        var shown = !query || text.indexOf(query) >= 0;
        field.hidden = !shown;
        found += shown ? 1 : 0;
      });
      panel.querySelectorAll(".rate-grid").forEach(function (grid) {
        var empty = Boolean(query) && !grid.querySelector(".rate-field:not([hidden])");
        var head = grid.previousElementSibling;
        grid.hidden = empty;
        if (head && (head.classList.contains("rate-group-head") || head.classList.contains("new-entry"))) {
          head.hidden = empty;  // an entry's heading goes with its fields
        }
      });
      panel.hidden = Boolean(query) && found === 0;
      panel.open = query ? found > 0 : wasOpen[index];
    });
  }

  box.addEventListener("input", filter);
  box.form.addEventListener("submit", function (event) {
    event.preventDefault();  // filtering here keeps what was typed in the editor
    filter();
  });
  if (box.value) {
    filter();
  }
})();
