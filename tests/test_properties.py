"""Property-based tests of the reader: it never crashes, and the spaced layout round-trips."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paper_catalogue.catalogue import merge_entries
from paper_catalogue.diagnostics import SeedError
from paper_catalogue.models import Entry, Organization, Source
from paper_catalogue.seeds import (AUTHORS_LINE, DATE_LINE, FURNITURE, GLUED_SUBSCRIBE, HEADER_DATE, SEPARATOR,
                                   SUBMITTED_BY, format_spaced, is_furniture, normalise_line, read_seed_file)
from paper_catalogue.urls import title_key

LINE_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n")


def read_text(data: bytes):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.txt"
        path.write_bytes(data)
        return read_seed_file(path)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000) | st.text(max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_reader_never_crashes_on_arbitrary_input(data):
    try:
        result = read_text(data)
    except SeedError:
        return
    assert result.entries
    for warning in result.warnings:
        assert warning.line >= 1 and warning.message


MIXED_LINES = st.lists(st.one_of(
    st.sampled_from(sorted(FURNITURE) + [SEPARATOR, "  • 3 authors", "Oct 20", "Nov 27, 2024 2",
                                         "Feb 30, 2024", "kyutai Kyutai", ""]),
    st.text(LINE_CHARS, max_size=80)), max_size=60)


@settings(max_examples=300, deadline=None)
@given(MIXED_LINES, st.sampled_from(["\n", "\r\n", "\r"]))
def test_reader_never_crashes_on_listing_like_lines(lines, newline):
    try:
        result = read_text(newline.join(lines).encode("utf-8"))
    except SeedError:
        return
    assert all(entry.title for entry in result.entries)


def clean_line(text: str) -> bool:
    return bool(text) and normalise_line(text) == text


def listing_line(text: str) -> bool:
    """A line the reader takes as content: not furniture, not part of a metadata block."""
    return (clean_line(text) and not is_furniture(text) and text not in (SEPARATOR, SUBMITTED_BY)
            and not AUTHORS_LINE.match(text) and not DATE_LINE.match(text) and not HEADER_DATE.match(text))


def usable_title(text: str) -> bool:
    return listing_line(text) and not GLUED_SUBSCRIBE.match(text) and bool(title_key(text))


def usable_abstract(text: str) -> bool:
    return listing_line(text)


TITLES = st.text(LINE_CHARS, min_size=1, max_size=120).filter(usable_title)
ABSTRACTS = st.text(LINE_CHARS, min_size=1, max_size=400).filter(usable_abstract)
HANDLES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,15}", fullmatch=True)
ORGS = st.builds(Organization, handle=HANDLES, name=st.text(LINE_CHARS, min_size=1, max_size=30).filter(clean_line))


@st.composite
def entries(draw):
    published = draw(st.none() | st.dates(dt.date(1990, 1, 1), dt.date(2100, 12, 31)))
    authors = organization = upvotes = None
    if published is not None:
        upvotes = draw(st.integers(0, 5000))
        if draw(st.booleans()):
            organization = draw(ORGS)
        else:
            authors = draw(st.integers(1, 300))
    return Entry(title=draw(TITLES), abstract=draw(ABSTRACTS), published=published, upvotes=upvotes,
                 authors=authors, organization=organization, source=Source(file="x.txt", line=1))


def comparable(papers):
    return [paper.model_dump(exclude={"sources"}) for paper in papers]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.lists(entries(), min_size=1, max_size=12, unique_by=lambda e: title_key(e.title)))
def test_spaced_layout_round_trips(generated):
    catalogue = merge_entries(generated)
    result = read_text(format_spaced(catalogue).encode("utf-8"))
    assert result.warnings == [] or all("unusually long" in w.message for w in result.warnings)
    assert comparable(merge_entries(result.entries)) == comparable(catalogue)
