"""LaTeX fidelity of a whole build: papers showing raw LaTeX anywhere in the output, and words lost.

Builds a corpus of real records (one JSON object a line: title, abstract, date, upvotes, authors)
written as listing dumps in the seeds' spaced layout, then reads back every file the build wrote
(HTML, XML, JSON; Pagefind indexes the HTML it is given, so the HTML is what it sees) and reports
two figures, both meant to be 0:

- papers with raw LaTeX: a paper whose own page, or any other file, shows a command name
  (``\\textit``), a TeX escape (``\\%``), ``$..$`` maths or a ``^{``/``_{`` group;
- words lost: words of a title or abstract (command names aside) that its page never shows.

    python bench/latex_fidelity.py [corpus.jsonl] [--keep DIR]
"""

from __future__ import annotations

import argparse
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

from paper_catalogue.pipeline import BuildOptions, build  # noqa: E402
from paper_catalogue.urls import EXPORT_PARTS_URL  # noqa: E402
from bench.corpus_seeds import DEFAULT_CORPUS, corpus_entries, write_seeds  # noqa: E402


# What raw LaTeX looks like once it reaches a reader.
LATEX_LEAK = re.compile(
    r"\\[A-Za-z]{2,}"                      # a command name: \textit, \ours
    r"|\\[%&_#{}$'`\"^~]"                  # an escape or an accent: \% \_ \'e
    r"|[_^]\{"                             # a sub- or superscript group: x^{2}
    r"|\$[^$\s][^$]{0,200}?[\\^_{}][^$]{0,200}?\$"  # $...$ holding maths
)
_COMMAND = re.compile(r"\\[A-Za-z]+")
_INITIAL = re.compile(r"\{(\w)\}(?=\w)")  # \textbf{D}irect: one word
# Text commands whose backslash a listing lost (`textit{O}bstacles`): command names all the same.
_BARE_COMMAND = re.compile(r"(?<![\\A-Za-z])(?:text[a-z]{2,}|emph|math[a-z]{2,})(?=\{)")
# Link targets and colour names: the page gives them, but not as words to read.
_HREF_TARGET = re.compile(r"\\href\{[^{}]*\}|https?://[^\s{}]+(?=\{)|\\(?:text)?color\{[^{}]*\}")
# An accented letter in any of TeX's spellings: \'e \'{e} {\'e} \v{c} \"{\i}; the letter is the word's.
_ACCENTED = re.compile(r"\{?\\(?:['`\"^~=.]|[vucHkr](?=\{))\s?\{?(\\i|\w)\}?\}?")


class _Text(HTMLParser):
    """A page's text as a reader gets it: visible text, and the head's meta contents and <title>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "meta" and attributes.get("content"):
            self.parts.append("\n" + attributes["content"] + "\n")
        for name in ("data-spoken", "alt", "title", "aria-label"):
            if attributes.get(name):
                self.parts.append("\n" + attributes[name] + "\n")
        self.parts.append("\x00")  # an element boundary: MathML letters sit in separate elements

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
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


def _strings(data) -> list[str]:
    """Every string a JSON value holds."""
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [text for value in data.values() for text in _strings(value)]
    if isinstance(data, list):
        return [text for value in data for text in _strings(value)]
    return []


def latex_leaks(text: str) -> list[str]:
    """The raw LaTeX a text shows."""
    return [match.group() for match in LATEX_LEAK.finditer(text.replace("\x00", ""))]


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
        if leaks := latex_leaks(text):
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, nargs="?", default=DEFAULT_CORPUS)
    parser.add_argument("--keep", type=Path, default=None, help="build into this folder and keep it")
    parser.add_argument("--no-search", action="store_true", help="skip Pagefind's index")
    args = parser.parse_args(argv)
    entries = corpus_entries(args.corpus)
    scratch = Path(tempfile.mkdtemp(prefix="latex-fidelity-"))
    try:
        seeds = write_seeds(entries, scratch / "seeds")
        out = args.keep or scratch / "site"
        result = build(BuildOptions(seeds=seeds, out=out, site_src=ROOT / "site_src",
                                    templates=ROOT / "templates", static=ROOT / "static",
                                    search_index=not args.no_search))
        papers = result.catalogue.papers
        page_leaks, lost, other = check_site(out, papers)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    with_latex = set(page_leaks)
    for paper in papers:  # a leak on a shared page (a list, a feed) counts against its paper
        if any(paper.id in leak for leaks in other.values() for leak in leaks):
            with_latex.add(paper.id)
    for paper_id, leaks in sorted(page_leaks.items())[:20]:
        print(f"raw LaTeX  {paper_id}: {sorted(set(leaks))[:5]}")
    for name, leaks in sorted(other.items())[:20]:
        print(f"raw LaTeX  {name}: {sorted(set(leaks))[:5]}")
    for paper_id, words in sorted(lost.items())[:20]:
        print(f"words lost {paper_id}: {sorted(words)[:8]}")
    print(f"{len(entries)} records, {len(papers)} papers, {len(result.warnings)} build warnings")
    print(f"papers with raw LaTeX anywhere in the output: {len(with_latex)}"
          f" (other files with raw LaTeX: {len(other)})")
    print(f"words lost: {sum(len(words) for words in lost.values())} (in {len(lost)} papers)")
    return 0 if not with_latex and not other and not lost else 1


if __name__ == "__main__":
    sys.exit(main())
