// The search page: Pagefind's JS API behind the header's search box, with filters, sorting and the
// whole state (query, filters, sort) kept in the URL so that a search can be shared and Back works.
const root = document.getElementById("search");
const box = document.getElementById("site-search");
const form = box && box.form;
const statusLine = document.getElementById("search-status");
const filtersBox = document.getElementById("search-filters-box");
const filtersForm = document.getElementById("search-filters");
const sortBox = document.getElementById("search-sort-box");
const sortSelect = document.getElementById("search-sort");
const resultList = document.getElementById("search-results");
const moreButton = document.getElementById("search-more");

const PAGE_SIZE = 10;
const TYPING_PAUSE_MS = 250;
// Filter keys, in display order; each is also the URL parameter that carries its values.
const FACETS = [
  { key: "topic", legend: "Topic" },
  { key: "year", legend: "Year" },
  { key: "organisation", legend: "Organisation" },
  { key: "code", legend: "Code" },
  { key: "upvotes", legend: "Upvotes" },
];
const SORTS = { date: { date: "desc" }, upvotes: { upvotes: "desc" } };
const UPVOTE_ORDER = ["10+", "1-9", "0"];
// Topic names by slug, from the build. Results carry their topics as filter values (slugs) only:
// a copy of the names on each of up to 100,000 paper pages would repeat this one map.
const topicNames = JSON.parse(root.dataset.topicNames || "{}");

function label(key, value) {
  if (key === "topic") return topicNames[value] || value;
  if (key === "year" && value === "undated") return "Undated";
  if (key === "code" && value === "yes") return "Has a code link";
  if (key === "upvotes") return { "0": "None", "1-9": "1–9", "10+": "10 or more" }[value] || value;
  return value;
}

function facetOrder(key, counts) {
  const values = Object.keys(counts);
  if (key === "year") return values.sort((a, b) => (a === "undated") - (b === "undated") || b.localeCompare(a));
  if (key === "upvotes") return values.sort((a, b) => UPVOTE_ORDER.indexOf(a) - UPVOTE_ORDER.indexOf(b));
  return values.sort((a, b) => counts[b] - counts[a] || label(key, a).localeCompare(label(key, b)));
}

// --- The state and the URL --------------------------------------------------------------------

function readState(search) {
  const params = new URLSearchParams(search);
  const filters = {};
  for (const { key } of FACETS) {
    const values = params.getAll(key).filter(Boolean);
    if (values.length) filters[key] = values;
  }
  const sort = params.get("sort");
  return { q: (params.get("q") || "").trim(), filters, sort: SORTS[sort] ? sort : "" };
}

function stateQuery(state) {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  for (const { key } of FACETS) for (const value of state.filters[key] || []) params.append(key, value);
  if (state.sort) params.set("sort", state.sort);
  const text = params.toString();
  return text ? "?" + text : "";
}

function remember(state, how) {
  const url = location.pathname + stateQuery(state);
  if (url === location.pathname + location.search) return;
  if (how === "push") history.pushState(null, "", url);
  else history.replaceState(null, "", url);
}

// --- Pagefind --------------------------------------------------------------------------------

let pagefindReady = null;
function loadPagefind() {
  // The bundle's path comes from the page, never from the script's own URL, so a site served
  // under a subpath (https://user.github.io/repo/) finds its index.
  pagefindReady ??= import(root.dataset.bundle + "pagefind.js").then(async (pagefind) => {
    await pagefind.options({ baseUrl: root.dataset.base });
    await pagefind.init();
    return pagefind;
  });
  return pagefindReady;
}

// The filter values and their counts cost every filter's index (105 KB at 10,000 papers), so
// they load only when the visitor opens the filters or the URL already holds some.
let facetsReady = null;
function loadFacets() {
  facetsReady ??= loadPagefind().then((pagefind) => pagefind.filters());
  return facetsReady;
}

function pagefindFilters(filters) {
  // Values of one facet are alternatives (any); different facets must all hold.
  const out = {};
  for (const [key, values] of Object.entries(filters)) out[key] = { any: values };
  return out;
}

// --- Rendering -------------------------------------------------------------------------------

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Pagefind's excerpt is text with <mark> around the matched words; keep exactly that and no
// other markup, so nothing in an abstract can become live HTML.
function excerptNode(excerpt) {
  const parsed = new DOMParser().parseFromString(`<p>${excerpt}</p>`, "text/html").body;
  const out = element("p", "search-excerpt");
  for (const node of parsed.querySelectorAll("p")[0]?.childNodes || []) {
    if (node.nodeName === "MARK") out.append(element("mark", "", node.textContent));
    else out.append(document.createTextNode(node.textContent));
  }
  return out;
}

function resultItem(data) {
  const item = element("li", "search-result");
  const heading = element("h2", "search-title");
  const link = element("a", "", data.meta.title || data.url);
  link.href = data.url;
  heading.append(link);
  item.append(heading);
  const facts = element("p", "search-facts");
  if (data.meta.date) facts.append(element("span", "search-date", data.meta.date));
  const upvotes = Number(data.meta.upvotes || 0);
  facts.append(element("span", "search-upvotes", upvotes === 1 ? "1 upvote" : `${upvotes} upvotes`));
  item.append(facts);
  const slugs = data.filters?.topic || [];
  if (slugs.length) {
    const topics = element("ul", "search-topics");
    topics.setAttribute("aria-label", "Topics");
    for (const slug of slugs) topics.append(element("li", "", label("topic", slug)));
    item.append(topics);
  }
  item.append(excerptNode(data.excerpt));
  return item;
}

function renderFilters(state, search) {
  // The boxes are rebuilt on every search; the one in focus keeps the focus.
  const focused = filtersForm.contains(document.activeElement) ? document.activeElement.id : null;
  filtersForm.replaceChildren();
  for (const { key, legend } of FACETS) {
    const counts = { ...(search.totalFilters?.[key] || {}) };
    for (const value of state.filters[key] || []) counts[value] ??= 0;
    const values = facetOrder(key, counts).filter((v) => counts[v] > 0 || (state.filters[key] || []).includes(v));
    if (!values.length) continue;
    const fieldset = element("fieldset", "search-facet");
    fieldset.append(element("legend", "", legend));
    const list = element("ul");
    for (const value of values) {
      let id = `filter-${key}-${value}`.replace(/[^A-Za-z0-9_-]/g, "_");
      while (document.getElementById(id)) id += "_"; // "A.B" and "A B" must not share a label
      const input = element("input");
      Object.assign(input, { type: "checkbox", id, name: key, value });
      input.checked = (state.filters[key] || []).includes(value);
      const text = element("label", "", label(key, value) + " ");
      text.htmlFor = id;
      text.append(element("span", "count", `(${counts[value]})`));
      const row = element("li");
      row.append(input, text);
      list.append(row);
    }
    fieldset.append(list);
    filtersForm.append(fieldset);
  }
  if (!filtersForm.children.length) filtersForm.append(element("p", "search-no-filters", "No filters apply to these results."));
  if (focused) document.getElementById(focused)?.focus();
}

let shown = [];
async function showMore() {
  const start = resultList.children.length;
  const page = await Promise.all(shown.slice(start, start + PAGE_SIZE).map((result) => result.data()));
  resultList.append(...page.map(resultItem));
  moreButton.hidden = resultList.children.length >= shown.length;
}

// --- Running a search ------------------------------------------------------------------------

let current = readState(location.search);
let generation = 0;

async function run(state) {
  current = state;
  const mine = ++generation;
  if (box && document.activeElement !== box) box.value = state.q;
  sortSelect.value = state.sort;
  if (!state.q) {
    // No term, no search: filter-only browsing would download the whole index (see the README).
    shown = [];
    resultList.replaceChildren();
    filtersBox.hidden = sortBox.hidden = moreButton.hidden = true;
    statusLine.textContent = "Type a word from a title or abstract in the search box above.";
    return;
  }
  statusLine.textContent = "Searching…";
  const filtered = Object.keys(state.filters).length > 0;
  if (filtered) filtersBox.open = true;
  let search;
  try {
    const pagefind = await loadPagefind();
    if (filtersBox.open) await loadFacets();
    search = await pagefind.search(state.q, { filters: pagefindFilters(state.filters), sort: SORTS[state.sort] || {} });
  } catch (error) {
    if (mine === generation) statusLine.textContent = "Search is unavailable: the search index could not be loaded.";
    throw error;
  }
  if (mine !== generation) return; // a newer search has started
  shown = search.results;
  resultList.replaceChildren();
  await showMore();
  if (mine !== generation) return;
  if (facetsReady) renderFilters(state, search);
  filtersBox.hidden = sortBox.hidden = false;
  const narrowed = filtered ? " with the chosen filters" : "";
  const count = shown.length;
  statusLine.textContent = count
    ? `${count} ${count === 1 ? "paper matches" : "papers match"} “${state.q}”${narrowed}.`
    : `No papers match “${state.q}”${narrowed}.`;
}

// --- Wiring ----------------------------------------------------------------------------------

let typing = null;
if (box && form) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(typing);
    const state = { ...current, q: box.value.trim() };
    remember(state, "push");
    run(state);
  });
  box.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      const state = { ...current, q: box.value.trim() };
      remember(state, "replace");
      run(state);
    }, TYPING_PAUSE_MS);
  });
}

filtersForm.addEventListener("change", () => {
  const filters = {};
  for (const input of filtersForm.querySelectorAll("input:checked")) (filters[input.name] ??= []).push(input.value);
  const state = { ...current, filters };
  remember(state, "push");
  run(state);
});

sortSelect.addEventListener("change", () => {
  const state = { ...current, sort: sortSelect.value };
  remember(state, "push");
  run(state);
});

filtersBox.addEventListener("toggle", () => {
  if (!filtersBox.open || facetsReady || !current.q) return;
  filtersForm.replaceChildren(element("p", "search-no-filters", "Loading filters…"));
  run(current);
});

moreButton.addEventListener("click", () => showMore());
window.addEventListener("popstate", () => run(readState(location.search)));

run(current);
