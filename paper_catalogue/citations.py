"""How a paper is cited: its arXiv links, authors' bylines, BibTeX, Scholar's tags and JSON-LD.

BibTeX follows arXiv's own export for a preprint: `@misc` with `eprint`, `archivePrefix` and
`url`. A cite key is arXiv's style too, first author's family name, year and the title's first
word (`zhu2025paper2video`), or the title's word and the year when no author is named
(`snapkv2024`); two papers of a catalogue that would share one each get a suffix
made from their permanent id, so every key is unique and never depends on reading order.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from markupsafe import Markup

from .models import Catalogue, Paper
from .text import title_text
from .urls import BIB_URL, slugify, topic_bib_url

ARXIV = "https://arxiv.org"
HUGGING_FACE_PAPERS = "https://huggingface.co/papers"
AUTHORS_SHOWN = 12
"""A page names this many authors before the rest go behind "and N more" (a <details>, which
works without JavaScript); a consortium paper can list hundreds."""
BIB_SPECIALS = re.compile(r"([&%$#_{}])|([~^\\])")
TITLE_STOP_WORDS = frozenset({"a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "towards", "toward"})


@dataclass(frozen=True)
class PaperLinks:
    """Where the paper itself is: arXiv's abstract page and PDF, and Hugging Face's page."""

    abstract: str
    pdf: str
    hugging_face: str


def paper_links(arxiv_id: str) -> PaperLinks:
    return PaperLinks(f"{ARXIV}/abs/{arxiv_id}", f"{ARXIV}/pdf/{arxiv_id}", f"{HUGGING_FACE_PAPERS}/{arxiv_id}")


def author_names(paper: Paper) -> tuple[str, ...]:
    return paper.identity.author_names if paper.identity else ()


def byline(paper: Paper) -> str | None:
    """`First Author et al.` (or the one or two names), for lists and search results; None when
    the listing gave no names."""
    names = author_names(paper)
    if not names:
        return None
    if len(names) <= 2:
        return " and ".join(names)
    return f"{names[0]} et al."


def cite_keys(papers: Iterable[Paper]) -> dict[str, str]:
    """Paper id -> its BibTeX key, unique in the catalogue."""
    papers = list(papers)
    bases = {paper.id: _key_base(paper) for paper in papers}
    counts = Counter(bases.values())
    return {pid: base if counts[base] == 1 else f"{base}-{pid[-8:]}" for pid, base in bases.items()}


def _key_base(paper: Paper) -> str:
    names = author_names(paper)
    family = _ascii_word(names[0].split()[-1]) if names else ""
    year = str(paper.published.year) if paper.published else ""
    words = [word for word in slugify(title_text(paper.title)).split("-") if word not in TITLE_STOP_WORDS]
    first_word = words[0] if words else ""
    if not family:  # no author to lead with: the title's first word does (`snapkv2024`)
        return (first_word + year) or "paper"
    return family + year + first_word


def _ascii_word(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower())


def bib_escape(text: str) -> str:
    """Plain text as a BibTeX field value: its special characters escaped."""
    def escape(match: re.Match) -> str:
        if match.group(1):
            return "\\" + match.group(1)
        return {"~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}[match.group(2)]
    return BIB_SPECIALS.sub(escape, text)


def bibtex(paper: Paper, key: str) -> str:
    """The paper's BibTeX entry, arXiv's `@misc` form when its arXiv id is known."""
    fields = [("title", bib_escape(title_text(paper.title)))]
    if names := author_names(paper):
        fields.append(("author", " and ".join(bib_escape(name) for name in names)))
    if paper.published:
        fields.append(("year", str(paper.published.year)))
    if paper.identity:
        fields += [("eprint", paper.identity.arxiv_id), ("archivePrefix", "arXiv"),
                   ("url", paper_links(paper.identity.arxiv_id).abstract)]
    body = ",\n".join(f"  {name}={{{value}}}" for name, value in fields)
    return f"@misc{{{key},\n{body},\n}}\n"


def bib_file(papers: Iterable[Paper], keys: dict[str, str]) -> bytes:
    """Entries for every paper given, in the order given, one blank line apart."""
    return "\n".join(bibtex(paper, keys[paper.id]) for paper in papers).encode("utf-8")


def scholar_tags(paper: Paper) -> tuple[tuple[str, str], ...]:
    """Google Scholar's `citation_*` meta tags as (name, content): only for a paper whose authors
    are named, since Scholar ignores a page without `citation_author`."""
    names = author_names(paper)
    if not names:
        return ()
    tags = [("citation_title", title_text(paper.title))]
    tags += [("citation_author", name) for name in names]
    if paper.published:
        tags.append(("citation_publication_date", paper.published.strftime("%Y/%m/%d")))
    if paper.identity:
        tags += [("citation_arxiv_id", paper.identity.arxiv_id),
                 ("citation_pdf_url", paper_links(paper.identity.arxiv_id).pdf)]
    return tuple(tags)


def json_ld(paper: Paper, url: str, description: str) -> Markup:
    """schema.org's ScholarlyArticle for the paper, as the text of a JSON-LD script element: `<`,
    `>` and `&` are written as JSON escapes, so no text can close the element."""
    data: dict = {"@context": "https://schema.org", "@type": "ScholarlyArticle",
                  "headline": title_text(paper.title), "url": url, "description": description}
    if paper.published:
        data["datePublished"] = paper.published.isoformat()
    if names := author_names(paper):
        data["author"] = [{"@type": "Person", "name": name} for name in names]
    if paper.identity:
        links = paper_links(paper.identity.arxiv_id)
        data["identifier"] = {"@type": "PropertyValue", "propertyID": "arXiv", "value": paper.identity.arxiv_id}
        data["sameAs"] = [links.abstract, links.hugging_face]
    if paper.organization:
        data["sourceOrganization"] = {"@type": "Organization", "name": paper.organization.name}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def bib_files(catalogue: Catalogue, keys: dict[str, str] | None = None) -> dict[PurePosixPath, bytes]:
    """papers.bib for the whole catalogue, and one beside each topic's page for its papers (any
    rank), in id order; each paper's own cite.bib is written beside its page. `keys` are the
    cite keys, when the caller has them already."""
    keys = keys or cite_keys(catalogue.papers)
    files = {PurePosixPath(BIB_URL): bib_file(catalogue.papers, keys)}
    for slug, papers in catalogue.topic_members().items():
        if papers:
            files[PurePosixPath(topic_bib_url(slug))] = bib_file(papers, keys)
    return files
