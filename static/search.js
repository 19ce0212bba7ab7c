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
const spellingLine = document.getElementById("search-spelling");
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
// The URL parameter that asks for the query as typed, with no spelling correction.
const VERBATIM = "verbatim";
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
  return { q: (params.get("q") || "").trim(), filters, sort: SORTS[sort] ? sort : "", verbatim: params.has(VERBATIM) };
}

function stateQuery(state) {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  for (const { key } of FACETS) for (const value of state.filters[key] || []) params.append(key, value);
  if (state.sort) params.set("sort", state.sort);
  if (state.verbatim) params.set(VERBATIM, "1");
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
  // The bundles' paths come from the page, never from the script's own URL, so a site served
  // under a subpath (https://user.github.io/repo/) finds its index.
  // Pagefind searches in its web worker, its default. Its noWorker option would save the
  // worker's script (12 KB with gzip) on a first search, but at 10,000 papers a search for
  // common words then holds this page's thread for 0.7 s while the visitor may be typing.
  const [first, ...others] = root.dataset.bundles.split(" ");
  pagefindReady ??= import(first + "pagefind.js").then(async (pagefind) => {
    await pagefind.options({ baseUrl: root.dataset.base });
    await pagefind.init();
    if (!others.length) return pagefind;
    await pagefind.options({ mergeFilter: { [PART]: "1" } });
    for (const [i, bundle] of others.entries()) {
      await pagefind.mergeIndex(bundle, { baseUrl: root.dataset.base, mergeFilter: { [PART]: String(i + 2) } });
    }
    return partsAsOne(pagefind, others.length + 1);
  });
  return pagefindReady;
}

// --- An index in parts -----------------------------------------------------------------------

// A large catalogue is indexed in parts (search_pages_per_index in site.toml), each a bundle of
// its own. Pagefind's mergeIndex searches them as one, with one runtime: best match orders the
// parts' results by score, and filter counts add up. But under a sort a result's score is its
// place in its own part, so "newest first" would interleave the parts wrongly. So each part
// marks its pages with a filter of its own, a sorted search asks each part apart, and the page
// merges their lists by each paper's sort key, which results of an index in parts carry as
// `order` metadata ("upvotes date rank").
const PART = "part";
const ORDER_KEYS = {
  upvotes: (order) => order,
  date: (order) => order.slice(order.indexOf(" ") + 1),
};

function partsAsOne(pagefind, count) {
  const parts = Array.from({ length: count }, (_, i) => String(i + 1));
  return {
    filters: () => pagefind.filters(),
    search: async (term, options) => {
      const [sort] = Object.keys(options.sort || {});
      if (!sort) return pagefind.search(term, options);
      const searches = await Promise.all(parts.map((part) =>
        pagefind.search(term, { ...options, filters: { ...options.filters, [PART]: part } })));
      // Counts that disregard the filters, the part's too: those of the whole catalogue.
      return { results: mergedBy(ORDER_KEYS[sort], searches.map((search) => search.results)),
        totalFilters: searches[0].totalFilters };
    },
  };
}

// Results in the order of `key` (highest first) over lists each already in that order. Result i
// is worked out when its data is asked for, from the data of the lists' heads. The page asks
// for a page of results at once; each list's next results, as many as the page holds, are then
// loaded side by side: a few more fragments than the page shows, in one round trip rather than
// one a result.
function mergedBy(key, lists) {
  const heads = lists.map(() => 0);
  const loaded = new Map();
  const load = (result) => {
    if (!loaded.has(result)) loaded.set(result, result.data());
    return loaded.get(result);
  };
  const merged = [];
  let wanted = -1;
  let done = Promise.resolve();
  async function upTo(index) {
    lists.forEach((list, i) => list.slice(heads[i], heads[i] + wanted + 1 - merged.length).forEach(load));
    while (merged.length <= index) {
      let best = -1;
      let bestKey = "";
      for (let i = 0; i < lists.length; i++) {
        if (heads[i] >= lists[i].length) continue;
        const candidate = key((await load(lists[i][heads[i]])).meta.order);
        if (best < 0 || candidate > bestKey) [best, bestKey] = [i, candidate];
      }
      merged.push(await load(lists[best][heads[best]++]));
    }
  }
  const total = lists.reduce((sum, list) => sum + list.length, 0);
  return Array.from({ length: total }, (_, index) => ({
    data: () => {
      wanted = Math.max(wanted, index);
      return (done = done.then(() => upTo(index))).then(() => merged[index]);
    },
  }));
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
  if (data.meta.authors) facts.append(element("span", "search-authors", data.meta.authors));
  if (data.meta.date) facts.append(element("span", "search-date", data.meta.date));
  // Only a count the listing showed (the paper page's own "Upvotes" line); none is not zero.
  if (data.meta.upvotes !== undefined) {
    const upvotes = Number(data.meta.upvotes);
    facts.append(element("span", "search-upvotes", upvotes === 1 ? "1 upvote" : `${upvotes} upvotes`));
  }
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

// --- Spelling -------------------------------------------------------------------------------

// Pagefind does not tolerate typos: a word it cannot find is shortened until something matches
// ("difusion" finds "CoDiEmb" through its "di") or left out. So a query word counts as found only
// when a word Pagefind marked in the results begins with it, or with it less an ending that
// Pagefind's English stemmer drops ("models" finds "modeling": both are "model").
const SHORTEST_CORRECTED = 3;
const ENDINGS = new Set(["s", "es", "ed", "ing", "ings", "e", "er", "ers", "ly", "y", "ies", "ied", "al",
  "ally", "ation", "ations", "ational", "ness", "ment", "ments", "ity", "ities", "ive", "ives", "ize", "izes",
  "ized", "izing", "ization", "ise", "ises", "ised", "ising", "isation", "ate", "ates", "ated", "ating", "ion",
  "ions", "or", "ors", "ism", "isms", "ist", "ists", "ful", "ous", "ence", "ences", "ance", "ances", "able",
  "ible", "ic", "ics", "ical", "ically", "ant", "ants", "ent", "ents", "ement", "ements"]);

// A word as the index holds it: lower case, no diacritics, letters, digits and "_" only.
function indexForm(word) {
  return word.toLocaleLowerCase().normalize("NFD").replace(/\p{M}/gu, "").replace(/[^\p{L}\p{N}_]/gu, "");
}

// The forms a marked word of a page is found by: whole, and its parts split as Pagefind splits
// compound words (at . , / : - _ and at aA, a1, 1a and AAa).
function markedForms(word) {
  const forms = [indexForm(word)];
  for (const chunk of word.split(/[.,/:\-_\s]+/)) {
    for (const part of chunk.split(/(?<=\p{Ll})(?=\p{Lu})|(?<=\p{L})(?=\p{N})|(?<=\p{N})(?=\p{L})|(?<=\p{Lu})(?=\p{Lu}\p{Ll})/u)) {
      const form = indexForm(part);
      if (form) forms.push(form);
    }
  }
  return forms;
}

function bornOut(term, form) {
  if (form.startsWith(term)) return true;
  let common = 0;
  while (common < term.length && term[common] === form[common]) common++;
  return common >= 3 && ENDINGS.has(term.slice(common));
}

// The query words that no marked word in these results bears out.
function unfound(query, pages) {
  const marked = [];
  for (const data of pages) {
    const words = data.content.split(" ");
    for (const location of data.locations || []) if (words[location]) marked.push(...markedForms(words[location]));
  }
  const terms = [...new Set(query.split(/\s+/).map(indexForm))];
  return terms.filter((term) => term.length >= SHORTEST_CORRECTED && !marked.some((form) => bornOut(term, form)));
}

// The query with each of `fixes` (index form -> correction) put in place of the word typed.
function rewritten(query, fixes) {
  return query.split(/\s+/).map((word) => fixes.get(indexForm(word)) ?? word).join(" ");
}

let spelling = null;
// For a query whose results do not bear out every word: the corrected query and its search, or
// none (every word is in the catalogue after all, or one has no close word). `closest` holds
// the nearest catalogue words to offer when nothing is found, each with the query it makes.
async function corrected(pagefind, state, doubtful, options) {
  spelling ??= import("./spelling.js");
  const { lookUp } = await spelling;
  const looked = await Promise.all(doubtful.map((term) => lookUp(root.dataset.base, term)));
  const unknown = doubtful.map((term, i) => [term, looked[i]]).filter(([, found]) => !found.known);
  if (!unknown.length) return { query: null, search: null, closest: [] };
  const closest = unknown.flatMap(([term, found]) =>
    found.closest.map((word) => ({ word, query: rewritten(state.q, new Map([[term, word]])) })));
  if (unknown.some(([, found]) => !found.best)) return { query: null, search: null, closest, unknown: true };
  const query = rewritten(state.q, new Map(unknown.map(([term, found]) => [term, found.best])));
  const search = await pagefind.search(query, options);
  return { query, search, closest, unknown: true };
}

function stateLink(state, text) {
  const link = element("a", "", "");
  link.href = location.pathname + stateQuery(state);
  link.append(element("em", "", text));
  return link;
}

function showSpelling(state, outcome) {
  spellingLine.replaceChildren();
  if (outcome.corrected) {
    spellingLine.append("Showing results for ", stateLink({ ...state, q: outcome.corrected, verbatim: false }, outcome.corrected),
      ". Search instead for ", stateLink({ ...state, verbatim: true }, state.q), ".");
  } else if (outcome.closest.length) {
    spellingLine.append("Closest words in the catalogue: ");
    outcome.closest.forEach(({ word, query }, i) => {
      if (i) spellingLine.append(", ");
      spellingLine.append(stateLink({ ...state, q: query, verbatim: false }, word));
    });
    spellingLine.append(".");
  } else if (outcome.unknown) {
    spellingLine.append("No word in the catalogue is close to it.");
  }
  spellingLine.hidden = !spellingLine.childNodes.length;
}

// A search, corrected when its words are not in the catalogue: Pagefind's results, the first
// page of them, and what the spelling line says.
async function searchSpelled(pagefind, state) {
  const options = { filters: pagefindFilters(state.filters), sort: SORTS[state.sort] || {} };
  const search = await pagefind.search(state.q, options);
  const firstPage = await pageData(search.results);
  // Pagefind's own answer is ready here; "search-shown" marks when the page shows its answer.
  // The gap is what spelling correction costs (bench/typos.py reads both marks).
  performance.mark("search-answered");
  const plain = { search, firstPage, corrected: null, closest: [], unknown: false };
  let doubtful = state.verbatim ? [] : unfound(state.q, firstPage);
  if (!doubtful.length) return plain;
  spelling ??= import("./spelling.js"); // under way while the culprits are sought
  if (!search.results.length && doubtful.length > 1) doubtful = await culprits(pagefind, state.q, doubtful, options);
  const fix = await corrected(pagefind, state, doubtful, options);
  if (!fix.unknown) return plain;
  if (fix.search?.results.length) {
    return { search: fix.search, firstPage: await pageData(fix.search.results), corrected: fix.query, closest: [], unknown: true };
  }
  // Loose matches of a word the catalogue does not hold are no answer: say nothing matches.
  return { search: { results: [], totalFilters: {} }, firstPage: [], corrected: null, closest: fix.closest, unknown: true };
}

// With no results at all, every word is in doubt. A word whose removal brings results back is
// the one to look up (the index is loaded already, so these searches download nothing). Typos
// hide in long words (model names, technical terms) far more than in "of" or "for", so the
// longest go first, and the first word to blame ends the hunt; when none is, all are in doubt.
async function culprits(pagefind, query, doubtful, options) {
  const words = query.split(/\s+/);
  const longestFirst = [...doubtful].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  for (const term of longestFirst) {
    const rest = words.filter((word) => indexForm(word) !== term).join(" ");
    if (rest && (await pagefind.search(rest, options)).results.length) return [term];
  }
  return doubtful;
}

function pageData(results) {
  return Promise.all(results.slice(0, PAGE_SIZE).map((result) => result.data()));
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
    spellingLine.replaceChildren();
    filtersBox.hidden = sortBox.hidden = moreButton.hidden = spellingLine.hidden = true;
    statusLine.textContent = "Type a word from a title or abstract in the search box above.";
    return;
  }
  statusLine.textContent = "Searching…";
  const filtered = Object.keys(state.filters).length > 0;
  if (filtered) filtersBox.open = true;
  let outcome;
  try {
    const pagefind = await loadPagefind();
    if (filtersBox.open) await loadFacets();
    outcome = await searchSpelled(pagefind, state);
  } catch (error) {
    if (mine === generation) statusLine.textContent = "Search is unavailable: the search index could not be loaded.";
    throw error;
  }
  if (mine !== generation) return; // a newer search has started
  const { search } = outcome;
  shown = search.results;
  resultList.replaceChildren(...outcome.firstPage.map(resultItem));
  moreButton.hidden = resultList.children.length >= shown.length;
  if (facetsReady) renderFilters(state, search);
  filtersBox.hidden = sortBox.hidden = false;
  const narrowed = filtered ? " with the chosen filters" : "";
  const count = shown.length;
  const query = outcome.corrected || state.q;
  statusLine.textContent = count
    ? `${count} ${count === 1 ? "paper matches" : "papers match"} “${query}”${narrowed}.`
    : `No papers match “${state.q}”${narrowed}.`;
  showSpelling(state, outcome);
  performance.mark("search-shown");
}

// --- Wiring ----------------------------------------------------------------------------------

let typing = null;
if (box && form) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(typing);
    const state = { ...current, q: box.value.trim(), verbatim: false };
    remember(state, "push");
    run(state);
  });
  box.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      const state = { ...current, q: box.value.trim(), verbatim: false };
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
// The spelling line's links are ordinary links (they open in a new tab too); a plain click runs
// the search here and adds a history entry, so Back returns to the query before it.
spellingLine.addEventListener("click", (event) => {
  const link = event.target.closest("a");
  if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  const state = readState(new URL(link.href).search);
  remember(state, "push");
  run(state);
});
window.addEventListener("popstate", () => run(readState(location.search)));

run(current);
