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

  // "Find this paper" on a paper page: each service's search for its title. Made here from the
  // title in the head (og:title, plain text) rather than written four times into every page.
  var FIND_THIS_PAPER = [
    ["arXiv", "https://arxiv.org/search/?searchtype=title&query="],
    ["Hugging Face", "https://huggingface.co/papers?q="],
    ["Semantic Scholar", "https://www.semanticscholar.org/search?q="],
    ["Google Scholar", "https://scholar.google.com/scholar?q="]
  ];

  function addFindLinks() {
    var aside = document.querySelector(".paper-more");
    var title = document.querySelector('meta[property="og:title"]');
    if (!aside || !title) return;
    var query = encodeURIComponent(title.content).replace(/%20/g, "+");
    var section = document.createElement("section");
    section.className = "find";
    var heading = document.createElement("h2");
    heading.textContent = "Find this paper";
    var list = document.createElement("ul");
    FIND_THIS_PAPER.forEach(function (service) {
      var link = document.createElement("a");
      link.href = service[1] + query;
      link.rel = "noreferrer"; // as every link to another site (text.EXTERNAL_REL)
      link.textContent = service[0];
      var item = document.createElement("li");
      item.appendChild(link);
      list.appendChild(item);
    });
    section.appendChild(heading);
    section.appendChild(list);
    aside.insertBefore(section, aside.firstChild);
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
    addFindLinks();
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
