// Progressive enhancements only: every page reads fine without this script.
(function () {
  "use strict";
  var root = document.documentElement;
  var stored = null;
  try { stored = localStorage.getItem("theme"); } catch (e) { /* storage may be blocked */ }
  if (stored === "light" || stored === "dark") root.setAttribute("data-theme", stored);

  document.addEventListener("DOMContentLoaded", function () {
    var header = document.querySelector(".masthead");
    if (header) {
      var toggle = document.createElement("button");
      toggle.type = "button";
      toggle.className = "theme-toggle";
      var label = function () {
        var dark = root.getAttribute("data-theme") === "dark" ||
          (!root.getAttribute("data-theme") && window.matchMedia("(prefers-color-scheme: dark)").matches);
        toggle.textContent = dark ? "Light mode" : "Dark mode";
        toggle.setAttribute("aria-pressed", dark ? "true" : "false");
        return dark;
      };
      label();
      toggle.addEventListener("click", function () {
        var next = label() ? "light" : "dark";
        root.setAttribute("data-theme", next);
        try { localStorage.setItem("theme", next); } catch (e) { /* not remembered, still applied */ }
        label();
      });
      header.appendChild(toggle);
    }
  });

  // "/" focuses the search box, unless the visitor is already typing somewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var box = document.getElementById("site-search");
    if (box) { event.preventDefault(); box.focus(); }
  });
})();
