// Progressive enhancements only: every page reads fine without this script.
// Loaded in <head> without defer, so a remembered theme applies before the first paint.
(function () {
  "use strict";
  var root = document.documentElement;
  var KEY = "theme";
  var stored = null;
  try { stored = localStorage.getItem(KEY); } catch (e) { /* storage may be blocked */ }
  if (stored === "light" || stored === "dark") root.setAttribute("data-theme", stored);

  var systemDark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;
  function isDark() {
    var chosen = root.getAttribute("data-theme");
    return chosen ? chosen === "dark" : !!(systemDark && systemDark.matches);
  }

  // "Copy BibTeX" on a paper page: the button is in the HTML but hidden, since it needs this script.
  function enableCopyButtons() {
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source || !navigator.clipboard) return;
      var label = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.textContent).then(function () {
          button.textContent = "Copied";
        }, function () {
          button.textContent = "Select the text to copy it";
        });
        setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  }

  function addThemeToggle() {
    var bar = document.querySelector(".masthead .bar");
    if (!bar) return;
    // The button says what a click gives: "Dark theme" while the page is light, "Light theme"
    // while it is dark. (A name that changes carries the state, so no aria-pressed beside it.)
    var toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "theme-toggle";
    // The icon is hidden from assistive technology; the words are hidden only on narrow screens.
    var icon = document.createElement("span");
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = "\u25d0 ";
    var words = document.createElement("span");
    words.className = "label";
    toggle.appendChild(icon);
    toggle.appendChild(words);
    function show() { words.textContent = isDark() ? "Light theme" : "Dark theme"; }
    show();
    toggle.addEventListener("click", function () {
      var next = isDark() ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem(KEY, next); } catch (e) { /* applied, just not remembered */ }
      show();
    });
    if (systemDark && systemDark.addEventListener) systemDark.addEventListener("change", show);
    bar.appendChild(toggle);
  }

  document.addEventListener("DOMContentLoaded", function () {
    enableCopyButtons();
    addThemeToggle();
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
