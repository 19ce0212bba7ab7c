"""The words Pagefind indexes, with how many papers hold each, in lists by first letter and by the rest of the word, for the search page's spelling correction."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath

from .models import Catalogue, Paper
from .text import plain_text, title_text

VOCABULARY_DIR = PurePosixPath("vocabulary")
"""Where the word lists go in the site; static/search.js fetches `<base>vocabulary/<key>.txt`."""
SHORTEST, LONGEST = 3, 32
"""Word lengths kept. The search page corrects no word shorter than three letters (too many
neighbours to guess from), and nobody types a 33-letter word such as a URL glued into one token."""
LIST_KEYS = tuple("0123456789abcdefghijklmnopqrstuvwxyz")
"""The lists, one per first character. A word starting with any other character (Greek, say)
is left out, and the search page does not try to correct one."""
TAILS_DIR = VOCABULARY_DIR / "tails"
"""Where the same words go again, keyed by their tail: the word less its first letter."""
TAIL_LISTS = 1021
"""How many tail lists there are (static/spelling.js holds the same number). A typo at the first
letter puts the word meant in another first-letter list, but leaves its tail whole: the page
fetches the four tail lists a one-letter slip there could come from, about 130 bytes each with
gzip at 2,212 papers, instead of other first-letter lists of up to 8 KB. A prime number, which
spreads the words evenly (tail_list); 251 lists made each about 380 bytes."""

# Pagefind's indexer (pagefind/src/fossick/mod.rs) splits the page text on whitespace, then keeps
# each word with every character outside \w removed, lower-cased. A word that changed on the way
# (punctuation or capitals) is also indexed as its parts (fossick/splitting.rs): "." "," "/" ":"
# become spaces, then the convert_case crate splits on hyphens, underscores, spaces, a lower-case
# letter before a capital, letters beside digits, and acronyms ("HTTPRequest" -> http request);
# parts of one character are dropped. The search box drops punctuation and diacritics from the
# query (pagefind.js), so the words here have none either.
_NOT_WORD = re.compile(r"[^\w]")
_PART_SEPARATORS = re.compile(r"[.,/:\-_\s]+")
_LEADING_WORD = re.compile(r"^\w+")


def vocabulary_files(catalogue: Catalogue) -> dict[PurePosixPath, bytes]:
    """One file per first character, a-z and 0-9, and one per tail list, 0 to TAIL_LISTS - 1
    (empty ones too, so the page never asks for a missing file): a line per word, `word` or
    `word count` (papers holding it, when more than one), sorted. A browser fetches only the
    lists it needs."""
    counts = word_counts(catalogue.papers)
    lists: dict[PurePosixPath, list[str]] = {VOCABULARY_DIR / f"{key}.txt": [] for key in LIST_KEYS}
    lists.update({TAILS_DIR / f"{key}.txt": [] for key in range(TAIL_LISTS)})
    for word in sorted(counts):
        count = counts[word]
        line = word if count == 1 else f"{word} {count}"
        lists[VOCABULARY_DIR / f"{word[0]}.txt"].append(line)
        lists[TAILS_DIR / f"{tail_list(word[1:])}.txt"].append(line)
    return {path: "".join(f"{line}\n" for line in lines).encode("utf-8") for path, lines in lists.items()}


def tail_list(tail: str) -> int:
    """The tail list that holds the words ending in `tail` after their first letter: a hash of
    its characters (code points, each step times 31 plus the next, modulo 2**32, as spelling.js
    computes it), modulo a prime number of lists, which spreads even words alike in their last
    letters evenly (with 128 lists, one could get 4 times as many words as another)."""
    value = 0
    for char in tail:
        value = (value * 31 + ord(char)) % 2**32
    return value % TAIL_LISTS


def word_counts(papers: Iterable[Paper]) -> Counter[str]:
    """How many papers hold each word in the text Pagefind indexes for them (title, abstract,
    organisation), keeping the words the search page may correct a query to."""
    counts: Counter[str] = Counter()
    # A catalogue's texts share most of their tokens: each distinct token is worked out once.
    kept_words_of: dict[str, tuple[str, ...]] = {}
    for paper in papers:
        text = [title_text(paper.title), plain_text(paper.abstract)]
        if paper.organization:
            text.append(paper.organization.name)
        words: set[str] = set()
        for token in " ".join(text).split():
            kept = kept_words_of.get(token)
            if kept is None:
                kept = kept_words_of[token] = tuple(word for word in map(maths_form, indexed_words(token))
                                                    if correctable(word))
            words.update(kept)
        counts.update(words)
    return counts


def maths_form(word: str) -> str:
    """The word as Pagefind holds it when its superscript or subscript figures are maths: the
    page sets `VILA²` as MathML, whose text is `VILA2`."""
    if word.isascii() or not any(unicodedata.category(char) == "No" for char in word):
        return word
    return _NOT_WORD.sub("", "".join(unicodedata.normalize("NFKC", char) if unicodedata.category(char) == "No" else char
                                     for char in word))


def correctable(word: str) -> bool:
    """A word worth offering as a correction: 3 to 32 characters, starting with a-z or 0-9 (the
    lists' keys), not a number, not a web address run together into one word, and with no
    superscript or subscript figure left (maths, `VILA²`, reaches Pagefind as MathML, whose words
    differ from the plain text's: maths_form gives them)."""
    return (SHORTEST <= len(word) <= LONGEST and word[0] in LIST_KEYS and not word.isdigit()
            and not (word.startswith("http") and len(word) > len("https"))
            and (word.isascii() or not any(unicodedata.category(char) == "No" for char in word)))


def indexed_words(text: str) -> Iterator[str]:
    """The words Pagefind indexes for `text`, as a query must spell them to find them."""
    for raw in text.split():
        whole = _NOT_WORD.sub("", raw).lower()
        if whole:
            yield without_diacritics(whole)
        if whole == raw:
            continue
        parts = [part for chunk in _PART_SEPARATORS.split(raw) for part in case_parts(chunk)]
        if len(parts) < 2:
            continue
        for part in parts:
            # Pagefind keeps a part with its punctuation ("(CLoud)" gives "(c" and "loud)"); a
            # query finds it by its leading letters only, as a prefix.
            lead = _LEADING_WORD.match(part.lower())
            if len(part.encode("utf-8")) > 1 and lead:
                yield without_diacritics(lead.group())


_ASCII_CASE_BOUNDARY = re.compile(
    r"(?<=[a-z])(?=[A-Z])|(?<=[0-9])(?=[A-Za-z])|(?<=[A-Za-z])(?=[0-9])|(?<=[A-Z])(?=[A-Z][a-z])")
"""case_parts' boundaries for ASCII text, found by the regex engine rather than a loop in Python."""


def case_parts(chunk: str) -> list[str]:
    """A chunk split where convert_case's default boundaries fall: aA, a1, 1a, A1, 1A, and AAa."""
    if not chunk:
        return []
    if chunk.isascii():
        return _ASCII_CASE_BOUNDARY.split(chunk)
    parts, start = [], 0
    for index in range(1, len(chunk)):
        before, here = chunk[index - 1], chunk[index]
        after = chunk[index + 1] if index + 1 < len(chunk) else ""
        if ((before.islower() and here.isupper())
                or (before.isdigit() and here.isalpha()) or (before.isalpha() and here.isdigit())
                or (before.isupper() and here.isupper() and after.islower())):
            parts.append(chunk[start:index])
            start = index
    parts.append(chunk[start:])
    return parts


def without_diacritics(word: str) -> str:
    """The word as Pagefind's search box turns a query into: decomposed, combining marks dropped."""
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.category(c).startswith("M"))
