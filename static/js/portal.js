// Small progressive enhancements on top of htmx. Every page works without this file.
(function () {
  "use strict";

  // Send the CSRF token with every htmx request (uploads included) through one header.
  document.addEventListener("htmx:configRequest", function (event) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      event.detail.headers["x-csrftoken"] = meta.getAttribute("content");
    }
  });

  // Mark the document so that no-JavaScript fallbacks (like "Show fields" buttons) can hide.
  document.documentElement.classList.add("js");
})();
