"""Entries from every seed -> one de-duplicated list of papers, merged by arXiv id and normalised title."""

from __future__ import annotations

from collections.abc import Iterable

from .diagnostics import Diagnostic
from .models import Entry, Paper
from .text import author_macros, find_links
from .urls import paper_id, title_key


def richness(entry: Entry) -> tuple[bool, int]:
    """How much a listing knew of a paper; the richest wins a merge. An API record (with an
    arXiv id and authors' names) outranks any listing dump."""
    return entry.identity is not None, sum(
        value is not None
        for value in (entry.published, entry.upvotes, entry.authors, entry.organization)
    ) + bool(entry.abstract)


def merge_entries(entries: Iterable[Entry]) -> tuple[Paper, ...]:
    """One paper per arXiv id and normalised title, sorted by id.

    Entries with the same normalised title are one paper, and so are API records with the same
    arXiv id (a paper listed on two days under a revised title). Each field comes from the
    richest entry that has it (ties go to the first read), the abstract is the longest one shown,
    and every entry's file and line is kept as a source. The paper's id, and so its URL, comes
    from the title of the first listing dump that showed it, else of the first record: adding
    API records for papers a site already has never changes a permalink.
    """
    groups: dict[str, list[Entry]] = {}
    group_of_arxiv_id: dict[str, str] = {}
    for entry in entries:
        key = title_key(entry.title)
        if entry.identity is not None:
            key = group_of_arxiv_id.setdefault(entry.identity.arxiv_id, key)
        groups.setdefault(key, []).append(entry)
    papers = [_merge_group(group) for group in groups.values()]
    return tuple(sorted(papers, key=lambda paper: paper.id))


def _merge_group(group: list[Entry]) -> Paper:
    by_richness = sorted(group, key=richness, reverse=True)  # stable: reading order breaks ties

    def first(field: str):
        return next((getattr(e, field) for e in by_richness if getattr(e, field) is not None), None)

    abstract = max((entry.abstract for entry in group), key=len)
    title = by_richness[0].title
    named_by = next((entry for entry in group if entry.identity is None), group[0])
    return Paper(
        id=paper_id(named_by.title),
        title=title,
        abstract=abstract,
        published=first("published"),
        upvotes=first("upvotes"),
        authors=first("authors"),
        organization=first("organization"),
        identity=first("identity"),
        links=tuple(dict.fromkeys(find_links(title) + find_links(abstract))),
        sources=tuple(sorted({entry.source for entry in group}, key=lambda s: (s.file, s.line))),
    )


MACROS_LISTED = 20
"""How many papers the authors'-macros note names before it only counts the rest."""


def author_macro_note(papers: Iterable[Paper]) -> list[Diagnostic]:
    """One note for the whole build naming the papers whose title or abstract uses their authors'
    own LaTeX macros (shown by name, see text.py), at the first such paper's file and line."""
    using = [(paper, macros) for paper in papers
             if (macros := tuple(dict.fromkeys(author_macros(paper.title) + author_macros(paper.abstract))))]
    if not using:
        return []
    using.sort(key=lambda pair: (pair[0].sources[0].file, pair[0].sources[0].line))
    first = using[0][0].sources[0]
    named = "; ".join(f"{paper.sources[0].file}:{paper.sources[0].line} {' '.join(macros)}"
                      for paper, macros in using[:MACROS_LISTED])
    more = f"; and {len(using) - MACROS_LISTED} more" if len(using) > MACROS_LISTED else ""
    return [Diagnostic(first.file, first.line,
                       f"{len(using)} paper(s) use their authors' own LaTeX macros, shown by name: {named}{more}",
                       severity="note")]
