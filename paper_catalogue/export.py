"""The public papers.json export: the catalogue as plain JSON, in a documented, stable shape."""

from __future__ import annotations

import json
from pathlib import PurePosixPath

from .models import Catalogue, Paper
from .text import plain_text, title_text
from .urls import EXPORT_URL, paper_url, topic_url


def paper_record(paper: Paper) -> dict:
    """One paper in the export's shape (documented in the README).

    `title` and `abstract` are exactly as listed, LaTeX and all; `title_text` and `abstract_text`
    are what a reader sees, as plain text (text.title_text and text.plain_text: maths as
    characters such as `τ-bench` or `L²M`, text commands resolved, no markup).
    """
    return {
        "id": paper.id,
        "url": paper_url(paper.id),
        "title": paper.title,
        "abstract": paper.abstract,
        "title_text": title_text(paper.title),
        "abstract_text": plain_text(paper.abstract),
        "published": paper.published.isoformat() if paper.published else None,
        "upvotes": paper.upvotes,
        "authors": paper.authors,
        "organization": paper.organization.model_dump() if paper.organization else None,
        "topics": list(paper.topics),
        "related": [link.id for link in paper.related],
        "links": list(paper.links),
        "sources": [source.model_dump() for source in paper.sources],
    }


def papers_json(catalogue: Catalogue) -> bytes:
    """The whole export as UTF-8 bytes; papers in id order, so two builds are byte-identical."""
    counts: dict[str, int] = {}
    for paper in catalogue.papers:
        for slug in paper.topics:
            counts[slug] = counts.get(slug, 0) + 1
    topics = [{"slug": t.slug, "name": t.name, "url": topic_url(t.slug), "count": counts.get(t.slug, 0)}
              for t in catalogue.topics]
    # One record per line: a diff shows which papers changed, and without `indent` json uses its C
    # encoder (3 to 4 times faster; indented, this file took 0.7 s to write at 10,000 papers).
    papers = _lines(paper_record(paper) for paper in catalogue.papers)
    return f'{{"papers": {papers},\n"topics": {_lines(topics)}}}\n'.encode("utf-8")


def _lines(records) -> str:
    """A JSON array with one compact record per line."""
    lines = [json.dumps(record, ensure_ascii=False, separators=(", ", ": ")) for record in records]
    return "[\n" + ",\n".join(lines) + "\n]" if lines else "[]"


def export_files(catalogue: Catalogue) -> dict[PurePosixPath, bytes]:
    """The export's files, keyed by their path in the site."""
    return {PurePosixPath(EXPORT_URL): papers_json(catalogue)}
