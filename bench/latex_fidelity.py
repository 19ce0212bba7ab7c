"""LaTeX fidelity of a whole build: papers showing raw LaTeX anywhere in the output, words lost,
and command names in permalinks.

Builds a corpus of real records written as listing dumps in the seeds' spaced layout, then reads
back every file the build wrote (HTML, XML, JSON; Pagefind indexes the HTML it is given, so the
HTML is what it sees) and reports three figures, all meant to be 0:

- papers with raw LaTeX: a paper whose own page, or any other file, shows a command name
  (``\\textit``), a TeX escape (``\\%``), a brace, a dollar that is not money (``$..$`` maths,
  ``Webpage$``) or a ``^{``/``_{`` group; and, in what a page shows outside its formulas (the
  title and abstract as set, not the plain text of the head and feeds, which spells a script it
  has no character for as ``x^(ab)``), any ``^``, a ``_(``, or a one-letter ``x_1``;
- words lost: words of a title or abstract (command names aside) that its page never shows;
- ids with a command name: a paper's permalink holding the name of a command its title uses
  (``r-textbf-2ai``) that a reader never sees.

A corpus is JSON lines (title, abstract, date, upvotes, authors) or a folder of Hugging Face
daily-papers API responses (JSON lists of items with ``paper.title`` and ``paper.summary``).
Each corpus is built on its own.

    python bench/latex_fidelity.py [corpus.jsonl | api-folder ...] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import re
import shutil
import sys
import tempfile
import unicodedata
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from paper_catalogue.models import Entry, Source  # noqa: E402
from paper_catalogue.pipeline import BuildOptions, build  # noqa: E402
from paper_catalogue.text import spoken, title_text  # noqa: E402
from paper_catalogue.urls import EXPORT_PARTS_URL  # noqa: E402
from bench.corpus_seeds import DEFAULT_CORPUS, collapsed, corpus_entries, write_seeds  # noqa: E402

DEFAULT_API = DEFAULT_CORPUS.parent / "hf-api"


# What raw LaTeX looks like once it reaches a reader.
LATEX_LEAK = re.compile(
    r"\\[A-Za-z]{2,}"                      # a command name: \textit, \ours
    r"|\\[%&_#{}$'`\"^~]"                  # an escape or an accent: \% \_ \'e
    r"|[_^]\{"                             # a sub- or superscript group: x^{2}
    r"|\$(?!\d)[^$\s][^$]{0,200}?(?:[\\{}]|[\^_](?!\())[^$]{0,200}?(?<!\s)\$(?!\d)"  # $...$ holding maths
    r"|[{}]"                               # a brace: a group TeX would have dropped
    r"|\$(?!\d)[^$\s][^$]{0,200}?(?<!\s)\$(?!\d)"  # $Webpage$: dollars around anything but money
    r"|(?<=[A-Za-z}])\$(?!\w)"             # Webpage$: a stray closing dollar
)
# What a page sets outside its formulas: scripts too (x^2, x^(2), x_1, x_(ab)), since a page
# sets them as formulas.
SCRIPT_LEAK = re.compile(r"\^|_[({]|(?<![\w\\][A-Za-z])(?<=[A-Za-z])_\d(?!\w)")
_COMMAND = re.compile(r"\\[A-Za-z]+")
_INITIAL = re.compile(r"\{(\w)\}(?=\w)")  # \textbf{D}irect: one word
# Commands whose backslash a listing lost (`textit{O}bstacles`, `teal{Tool-use}`, `7{times}`,
# `360^circ`): command names all the same.
_BARE_COMMAND = re.compile(
    r"(?<![\\A-Za-z])(?:text[a-z]{2,}|emph|math[a-z]{2,}|underline|footnote|href|url"
    r"|red|green|blue|cyan|magenta|yellow|black|gray|grey|white|brown|lime|olive|orange|pink|purple|teal|violet"
    r")(?=\{)|(?<=\{)(?:times|sim|approx|pm|cdot|leq|geq|neq|infty|deg|circ|ldots|cdots|dots)(?=\})|(?<=\^)(?:circ|top)\b")
# Link targets and colour names: the page gives them, but not as words to read.
_HREF_TARGET = re.compile(r"\\href\{[^{}]*\}|https?://[^\s{}]+(?=\{)|\\(?:text)?color\{[^{}]*\}")
# An accented letter in any of TeX's spellings: \'e \'{e} {\'e} \v{c} \"{\i}; the letter is the word's.
_ACCENTED = re.compile(r"\{?\\(?:['`\"^~=.]|[vucHkr](?=\{))\s?\{?(\\i|\w)\}?\}?")


class _Text(HTMLParser):
    """A page's text as a reader gets it: visible text, and the head's meta contents and <title>;
    or, with `set_text`, only what the body sets outside its formulas."""

    def __init__(self, set_text: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._set_text = set_text
        # A citation in BibTeX (<pre>) is LaTeX on purpose, for a reader to paste into theirs.
        self._skipped = ("script", "style", "pre", "math", "head", "code") if set_text else ("script", "style", "pre")

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in self._skipped:
            self._skip += 1
        if self._set_text:
            self.parts.append("\x00")
            return
        if tag == "meta" and attributes.get("content"):
            self.parts.append("\n" + attributes["content"] + "\n")
        for name in ("data-spoken", "alt", "title", "aria-label"):
            if attributes.get(name):
                self.parts.append("\n" + attributes[name] + "\n")
        self.parts.append("\x00")  # an element boundary: MathML letters sit in separate elements

    def handle_endtag(self, tag):
        if tag in self._skipped:
            self._skip = max(0, self._skip - 1)
        self.parts.append("\x00")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def page_text(html: str) -> str:
    """What a page shows and tells (element boundaries as NUL), JSON-LD included as its text."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.DOTALL)
    return "".join(parser.parts) + "".join("\n" + value for s in scripts for value in _strings(json.loads(s)))


def set_text(html: str) -> str:
    """What a page or fragment sets as text outside its formulas (<math>, a formula's <code>) and
    outside its head, element boundaries as NUL."""
    parser = _Text(set_text=True)
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def _strings(data) -> list[str]:
    """Every string a JSON value holds."""
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [text for value in data.values() for text in _strings(value)]
    if isinstance(data, list):
        return [text for value in data for text in _strings(value)]
    return []


# A set written out (`tau = {o₀, a₀, …}`): its braces are the set's, not TeX's.
_SET = re.compile(r"\{[^{}$\\]*,\s?[^{}$\\]*\}")


def latex_leaks(text: str) -> list[str]:
    """The raw LaTeX a text shows."""
    return [match.group() for match in LATEX_LEAK.finditer(_SET.sub(" ", text.replace("\x00", "")))]


def script_leaks(html: str) -> list[str]:
    """The scripts (`^`, `_(`, `x_1`) an HTML page or fragment sets as text outside its formulas,
    links aside (`.../SDXL_v0.1`)."""
    text = re.sub(r"https?://\S+", " ", set_text(html).replace("\x00", ""))
    return [match.group() for match in SCRIPT_LEAK.finditer(text)]


# A command whose backslash a listing lost, as text.py reads it.
_BARE_ID_COMMAND = re.compile(r"(?<![\\A-Za-z])(text[a-z]{2,}|math[a-z]{2,}|emph|underline|footnote)(?=\{)")


def id_command_names(title: str, paper_id: str) -> list[str]:
    """The names of commands a title uses (`\\textbf`, or `textbf{` without its backslash) that its
    id holds as a word, though a reader of the title never sees them."""
    seen = set(re.findall(r"[a-z0-9]+", spoken(title_text(title)).casefold()))
    names = {name.casefold() for name in re.findall(r"\\([A-Za-z]{2,})", title) + _BARE_ID_COMMAND.findall(title)}
    return sorted(name for name in names if name not in seen and name in paper_id.split("-"))


def _words(text: str) -> set[str]:
    decomposed = unicodedata.normalize("NFKD", text)
    letters = "".join(char if char.isalpha() else " " for char in decomposed if not unicodedata.combining(char))
    return {word.casefold() for word in letters.split() if len(word) > 1}


def source_words(text: str) -> set[str]:
    """The words of a title or abstract as listed: command names, link targets and accents aside."""
    text = _HREF_TARGET.sub(" ", text)
    text = _ACCENTED.sub(lambda match: "i" if match.group(1) == "\\i" else match.group(1), text)
    text = _BARE_COMMAND.sub(" ", text)
    text = _INITIAL.sub(r"\1", _COMMAND.sub(" ", text)).replace("{", " ").replace("}", " ")
    return _words(text)


def shown_words(text: str) -> set[str]:
    """The words a text shows, read both across and at element boundaries (MathML's <mi>s)."""
    return _words(text.replace("\x00", "")) | _words(text.replace("\x00", " "))


def lost_words(title: str, abstract: str, shown: str) -> set[str]:
    return (source_words(title) | source_words(abstract)) - shown_words(shown)


def check_site(site: Path, papers) -> tuple[dict[str, list[str]], dict[str, set[str]], dict[str, list[str]]]:
    """(paper id -> raw LaTeX on its page, paper id -> words lost, other file -> raw LaTeX) for a built site.

    Every file the build wrote is read, except Pagefind's own bundle: the export's parts keep each
    title and abstract as listed, by contract, so only their plain-text fields are read there.
    """
    page_leaks: dict[str, list[str]] = {}
    lost: dict[str, set[str]] = {}
    other: dict[str, list[str]] = {}
    for paper in papers:
        html = (site / "papers" / paper.id / "index.html").read_text(encoding="utf-8")
        text = page_text(html)
        if leaks := latex_leaks(text) + script_leaks(html):
            page_leaks[paper.id] = leaks
        if missing := lost_words(paper.title, paper.abstract, text):
            lost[paper.id] = missing
    paper_pages = {site / "papers" / paper.id / "index.html" for paper in papers}
    for path in sorted(site.rglob("*")):
        if not path.is_file() or path in paper_pages or "pagefind" in path.relative_to(site).parts[:1]:
            continue
        if path.suffix == ".html":
            text = page_text(path.read_text(encoding="utf-8"))
        elif path.suffix == ".xml":
            text = unescape(re.sub(r"<[^>]+>", "\x00", path.read_text(encoding="utf-8")))
        elif path.relative_to(site).as_posix().startswith(EXPORT_PARTS_URL):  # a part: a list of records
            records = json.loads(gzip.decompress(path.read_bytes()))
            text = "\n".join(f"{p['title_text']}\n{p['abstract_text']}" for p in records)
        else:
            continue
        if leaks := latex_leaks(text):
            other[str(path.relative_to(site))] = leaks
    return page_leaks, lost, other


def api_entries(folder: Path) -> list[Entry]:
    """Every paper of a folder of daily-papers API responses as an Entry, files in name order."""
    entries = []
    for path in sorted(folder.glob("*.json")):
        for number, item in enumerate(json.loads(path.read_text(encoding="utf-8")), 1):
            paper = item["paper"]
            published = paper.get("publishedAt") or item.get("publishedAt")
            entries.append(Entry(
                title=collapsed(paper["title"]),
                abstract=collapsed(paper.get("summary") or ""),
                published=dt.date.fromisoformat(published[:10]) if published else None,
                upvotes=paper.get("upvotes"),
                authors=len(paper.get("authors") or ()) or None,
                source=Source(file=path.name, line=number),
            ))
    return entries


def audit(corpus: Path, keep: Path | None, search_index: bool) -> bool:
    """Build one corpus and print its figures; whether all of them are 0."""
    entries = api_entries(corpus) if corpus.is_dir() else corpus_entries(corpus)
    scratch = Path(tempfile.mkdtemp(prefix="latex-fidelity-"))
    try:
        seeds = write_seeds(entries, scratch / "seeds")
        out = keep or scratch / "site"
        result = build(BuildOptions(seeds=seeds, out=out, site_src=ROOT / "site_src",
                                    templates=ROOT / "templates", static=ROOT / "static",
                                    search_index=search_index))
        papers = result.catalogue.papers
        page_leaks, lost, other = check_site(out, papers)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    with_latex = set(page_leaks)
    for paper in papers:  # a leak on a shared page (a list, a feed) counts against its paper
        if any(paper.id in leak for leaks in other.values() for leak in leaks):
            with_latex.add(paper.id)
    named = {paper.id: names for paper in papers if (names := id_command_names(paper.title, paper.id))}
    print(f"== {corpus.name}")
    for paper_id, leaks in sorted(page_leaks.items())[:20]:
        print(f"raw LaTeX  {paper_id}: {sorted(set(leaks))[:5]}")
    for name, leaks in sorted(other.items())[:20]:
        print(f"raw LaTeX  {name}: {sorted(set(leaks))[:5]}")
    for paper_id, words in sorted(lost.items())[:20]:
        print(f"words lost {paper_id}: {sorted(words)[:8]}")
    for paper_id, names in sorted(named.items())[:20]:
        print(f"command in id {paper_id}: {names}")
    print(f"{len(entries)} records, {len(papers)} papers, {len(result.warnings)} build warnings")
    print(f"papers with raw LaTeX anywhere in the output: {len(with_latex)}"
          f" (other files with raw LaTeX: {len(other)})")
    print(f"words lost: {sum(len(words) for words in lost.values())} (in {len(lost)} papers)")
    print(f"ids with a command name: {len(named)}")
    return not with_latex and not other and not lost and not named


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, nargs="*", default=[DEFAULT_CORPUS, DEFAULT_API],
                        help="JSON lines, or a folder of API responses (default: the 2024 corpus and hf-api/)")
    parser.add_argument("--keep", type=Path, default=None, help="build into this folder and keep it (one corpus)")
    parser.add_argument("--no-search", action="store_true", help="skip Pagefind's index")
    args = parser.parse_args(argv)
    if args.keep and len(args.corpus) > 1:
        parser.error("--keep takes one corpus")
    results = [audit(corpus, args.keep, not args.no_search) for corpus in args.corpus]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
