// Spelling correction for the search page: the words the site's search index holds (the build
// writes them to vocabulary/<first letter>.txt, and again to vocabulary/tails/<n>.txt by the rest
// of the word) and the nearest of them to a word it does not hold.
// search.js loads this module only for a query that Pagefind's results do not bear out.

const KEYS = /^[a-z0-9]$/;
const CLOSEST = 3;
// paper_catalogue/vocabulary.py's TAIL_LISTS: the build writes this many tail lists.
const TAIL_LISTS = 1021;
const lists = new Map();

// Each list is fetched once per page; a missing or unreadable list counts as empty.
function fetchList(url) {
  if (!lists.has(url)) {
    lists.set(url, fetch(url)
      .then((response) => (response.ok ? response.text() : ""))
      .catch(() => "")
      .then(parse));
  }
  return lists.get(url);
}

function wordList(base, key) {
  if (!KEYS.test(key || "")) return Promise.resolve(new Map());
  return fetchList(`${base}vocabulary/${key}.txt`);
}

// The list of the words whose tail (all but the first letter) is `tail`: vocabulary.tail_list.
function tailList(base, tail) {
  let value = 0;
  for (const char of tail) value = (Math.imul(value, 31) + char.codePointAt(0)) >>> 0;
  return fetchList(`${base}vocabulary/tails/${value % TAIL_LISTS}.txt`);
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

// The tails a word has if `term` is that word with one slip at its first letter: a letter
// dropped there, typed wrong, added before it, or swapped with the second.
function firstLetterTails(term) {
  const tails = [term, term.slice(1), term.slice(2), term[0] + term.slice(2)];
  return [...new Set(tails)].filter((tail) => tail.length >= 2);
}

// The words one slip at the first letter away from `term`, from the tail lists they are in.
async function firstLetterSlips(base, term, reach) {
  const tails = firstLetterTails(term);
  const found = new Map();
  for (const words of await Promise.all(tails.map((tail) => tailList(base, tail)))) {
    for (const [word, count] of words) if (tails.includes(word.slice(1))) found.set(word, count);
  }
  return nearest(term, found, reach);
}

// For one query word (lower case, no punctuation or diacritics, as the lists hold words):
// known, or the best correction (or null) and the closest words to offer.
export async function lookUp(base, term) {
  const reach = Math.max(allowed(term), CLOSEST);
  // A slip at the first letter puts the word meant in another letter's list, but its tail lists
  // hold it, and four of them weigh less than one letter's list (2.4 KB against up to 8.4 KB
  // with gzip at 2,212 papers). So they come first, and a word one edit away there saves the
  // first letter's list; the term itself there (distance 0) is a word of the catalogue.
  let candidates = await firstLetterSlips(base, term, reach);
  if (candidates.some((c) => c.distance === 0)) return { known: true, best: null, closest: [] };
  if (!candidates.some((c) => c.distance <= 1)) {
    const first = await wordList(base, term[0]);
    if (known(first, term)) return { known: true, best: null, closest: [] };
    const seen = new Set(candidates.map((c) => c.word));
    candidates = candidates.concat(nearest(term, first, reach).filter((c) => !seen.has(c.word)));
  }
  candidates = ranked(candidates);
  const best = candidates.find((c) => c.distance <= allowed(term));
  return { known: false, best: best ? best.word : null, closest: candidates.slice(0, CLOSEST).map((c) => c.word) };
}
