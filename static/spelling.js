// Spelling correction for the search page: the words the site's search index holds (the build
// writes them to vocabulary/<first letter>.txt) and the nearest of them to a word it does not hold.
// search.js loads this module only for a query that Pagefind's results do not bear out.

const KEYS = /^[a-z0-9]$/;
const CLOSEST = 3;
const lists = new Map();

// Each list is fetched once per page; a missing or unreadable list counts as empty.
function wordList(base, key) {
  if (!KEYS.test(key || "")) return Promise.resolve(new Map());
  if (!lists.has(key)) {
    lists.set(key, fetch(`${base}vocabulary/${key}.txt`)
      .then((response) => (response.ok ? response.text() : ""))
      .catch(() => "")
      .then(parse));
  }
  return lists.get(key);
}

// Lines are "word" (in one paper) or "word count" (in that many papers).
function parse(text) {
  const words = new Map();
  for (const line of text.split("\n")) {
    if (!line) continue;
    const [word, count] = line.split(" ");
    words.set(word, Number(count || 1));
  }
  return words;
}

// Pagefind finds a word and every longer word it starts, so a prefix is as good as a word.
function known(words, term) {
  if (words.has(term)) return true;
  for (const word of words.keys()) if (word.startsWith(term)) return true;
  return false;
}

// Optimal string alignment distance (insertions, deletions, substitutions and swaps of two
// neighbouring letters), giving up beyond `limit`.
function distance(a, b, limit) {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let before = null;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let smallest = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost);
      if (before && i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, before[j - 2] + 1);
      row.push(value);
      smallest = Math.min(smallest, value);
    }
    if (smallest > limit) return limit + 1;
    before = previous;
    previous = row;
  }
  return previous[b.length];
}

// How far a correction may be from what was typed: one edit for a short word, two for a long one.
function allowed(term) {
  return term.length >= 7 ? 2 : 1;
}

// The words within reach of `term`, nearest first, then the most frequent, then alphabetical.
function nearest(term, words, reach) {
  const found = [];
  for (const [word, count] of words) {
    const d = distance(term, word, reach);
    if (d <= reach) found.push({ word, count, distance: d });
  }
  return found;
}

function ranked(candidates) {
  return candidates.sort((a, b) => a.distance - b.distance || b.count - a.count || (a.word < b.word ? -1 : 1));
}

// For one query word (lower case, no punctuation or diacritics, as the lists hold words):
// known, or the best correction (or null) and the closest words to offer.
export async function lookUp(base, term) {
  const first = await wordList(base, term[0]);
  if (known(first, term)) return { known: true, best: null, closest: [] };
  const reach = Math.max(allowed(term), CLOSEST);
  let candidates = nearest(term, first, reach);
  // A letter added before the word, or its first two letters swapped, puts it under the second
  // letter's list; look there only when the first list offers no one-edit correction.
  if (!candidates.some((c) => c.distance <= 1) && term.length > 1 && term[1] !== term[0]) {
    candidates = candidates.concat(nearest(term, await wordList(base, term[1]), reach));
  }
  candidates = ranked(candidates);
  const best = candidates.find((c) => c.distance <= allowed(term));
  return { known: false, best: best ? best.word : null, closest: candidates.slice(0, CLOSEST).map((c) => c.word) };
}
