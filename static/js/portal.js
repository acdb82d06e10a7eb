// Small progressive enhancements on top of htmx. Every page works without this file.
(function () {
  "use strict";

  // Send the CSRF token with every htmx request (uploads included) through one header. The token
  // is renewed at login; a boosted navigation swaps only the body, so the body's forms carry the
  // current token and the <head>'s meta tag may be a page old.
  document.addEventListener("htmx:configRequest", function (event) {
    var field = document.body.querySelector('input[name="_csrf_token"]');
    var meta = document.querySelector('meta[name="csrf-token"]');
    var token = field ? field.value : meta && meta.getAttribute("content");
    if (token) {
      event.detail.headers["x-csrftoken"] = token;
    }
  });

  // While a request is out, the form (or button) that sent it is busy: its submit buttons are
  // disabled, so nothing goes twice, and show it (a spinner in the CSS; aria-busy for assistive
  // technology). htmx's own hx-disabled-elt can only name the first button of a form.
  function submitButtons(elt) {
    if (elt.tagName === "FORM") {
      return Array.prototype.slice.call(elt.querySelectorAll("button:not([type=button]), input[type=submit]"));
    }
    return elt.tagName === "BUTTON" ? [elt] : [];
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    elt.setAttribute("aria-busy", "true");
    submitButtons(elt).forEach(function (button) {
      if (!button.disabled) {
        button.disabled = true;
        button.setAttribute("data-busy", "");
      }
    });
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    elt.removeAttribute("aria-busy");
    submitButtons(elt).forEach(function (button) {
      if (button.hasAttribute("data-busy")) {
        button.disabled = false;
        button.removeAttribute("data-busy");
      }
    });
  });

  // Mark the document so that no-JavaScript fallbacks (like "Show fields" buttons) can hide.
  document.documentElement.classList.add("js");

  // Buttons that destroy something ask first.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  // The 3D viewer: load the vendored <model-viewer> when a page shows one; where WebGL is
  // missing keep the PNG picture instead.
  var VIEWER = "/static/vendor/model-viewer-4.4.0/model-viewer.min.js";
  var viewerLoading = null;

  function hasWebGL() {
    try {
      var canvas = document.createElement("canvas");
      return !!(canvas.getContext("webgl2") || canvas.getContext("webgl"));
    } catch (e) {
      return false;
    }
  }

  function setUpViewers() {
    var viewers = document.querySelectorAll("model-viewer");
    if (!viewers.length) { return; }
    if (!hasWebGL()) {
      viewers.forEach(function (viewer) {
        var picture = viewer.querySelector("img");
        if (picture) { picture.removeAttribute("slot"); viewer.replaceWith(picture); }
      });
      return;
    }
    viewers.forEach(function (viewer) {
      if (viewer.dataset.ready) { return; }
      viewer.dataset.ready = "1";
      // The shape's GLB carries no material: give the part the colour of its thumbnail (the
      // thickness GLB keeps its own colours).
      viewer.addEventListener("load", function () {
        if (!viewer.hasAttribute("data-tint")) { viewer.classList.add("drawn"); return; }
        viewer.model.materials.forEach(function (material) {
          material.pbrMetallicRoughness.setBaseColorFactor([0.47, 0.63, 0.8, 1]);
          material.pbrMetallicRoughness.setMetallicFactor(0.1);
          material.pbrMetallicRoughness.setRoughnessFactor(0.6);
        });
        viewer.classList.add("drawn");
      });
    });
    if (!viewerLoading) {
      viewerLoading = import(VIEWER);
    }
  }

  document.addEventListener("DOMContentLoaded", setUpViewers);
  document.addEventListener("htmx:load", setUpViewers);

  // The upload page's script, only where there is an upload form.
  function setUpUploads() {
    if (document.querySelector("form[data-upload]") && !document.querySelector("script[data-uploads]")) {
      var script = document.createElement("script");
      script.src = "/static/js/uploads.js";
      script.dataset.uploads = "1";
      document.head.appendChild(script);
    }
  }
  document.addEventListener("DOMContentLoaded", setUpUploads);
  document.addEventListener("htmx:load", setUpUploads);

  // Show/hide password buttons: rendered hidden, shown here because only JavaScript can work them.
  function showRevealButtons(root) {
    root.querySelectorAll("button.reveal[hidden]").forEach(function (button) {
      button.hidden = false;
    });
  }
  document.addEventListener("DOMContentLoaded", function () { showRevealButtons(document); });
  document.addEventListener("htmx:load", function (event) { showRevealButtons(event.detail.elt); });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.reveal");
    var input = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!input) {
      return;
    }
    var reveal = input.type === "password";
    input.type = reveal ? "text" : "password";
    button.setAttribute("aria-pressed", reveal ? "true" : "false");
  });
})();
