"""Listings copied as people copy them: every kind of page furniture is skipped, a line nobody
knows never becomes a paper or moves another's fields, organisations in any spelling, header
dates, and one warning for a warning repeated through a file."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paper_catalogue.catalogue import merge_entries
from paper_catalogue.models import Organization
from paper_catalogue.seeds import REPEATS_SHOWN, format_spaced, read_seed_file
from paper_catalogue.urls import title_key

from test_properties import comparable, entries

# Real-length abstracts: listings carry paragraphs, and the reader tells an abstract by its length.
ABSTRACT = ("We study how a model learns from its own mistakes when it is given feedback at every step, "
            "and we find that a small amount of well-chosen feedback goes a long way. Across four "
            "benchmarks the method improves accuracy by several points while costing little at inference.")
SHORT = "We study a thing at length and report what we found about it in detail."

FURNITURE = [
    ["Submitted by akhaliq"],
    ["Submitted by", "akhaliq"],
    ["Submitted by", "Jane Q. Researcher"],
    ["12"],
    ["Upvote 12"],
    ["Upvote"],
    ["View arXiv page"],
    ["View PDF"],
    ["Add to collection"],
    ["Thursday, Oct 24, 2024"],
    ["+3"],
    ["Published on Oct 24, 2024"],
    ["arXiv:2410.12345"],
    ["Cite arxiv.org/abs/2410.12345"],
    ["Comments"],
    ["Paper page"],
    ["Get this paper in your agent:"],
    ["Models citing this paper"],
    ["Previous"],
    ["Next"],
]


def listing(*blocks: str) -> str:
    return "\n\n".join(blocks) + "\n"


def entry_block(title: str, abstract: str = ABSTRACT, meta: str | None = "  • 4 authors",
                date: str = "Oct 20, 2024 7") -> str:
    lines = [title, "", abstract]
    if meta is not None:
        lines += ["", meta, "·", date]
    return "\n".join(lines)


def fields(result):
    return [(e.title, e.abstract, e.published, e.upvotes, e.authors, e.organization) for e in result.entries]


def expected_three():
    return [
        ("First Paper", ABSTRACT, dt.date(2024, 10, 20), 7, 4, None),
        ("Second Paper", ABSTRACT, dt.date(2024, 10, 21), 3, None, Organization(handle="kyutai", name="Kyutai")),
        ("Third Paper", ABSTRACT, dt.date(2024, 10, 22), 0, 2, None),
    ]


def three_with(furniture: list[str], where: str) -> str:
    """Three entries with one piece of furniture placed `where` (before each title, after each
    abstract, or between each title and its abstract)."""
    piece = "\n".join(furniture)
    blocks = []
    for title, meta, date in (("First Paper", "  • 4 authors", "Oct 20, 2024 7"),
                              ("Second Paper", "kyutai Kyutai", "Oct 21, 2024 3"),
                              ("Third Paper", "  • 2 authors", "Oct 22, 2024")):
        head = f"{piece}\n\n{title}" if where == "before" else title
        middle = f"\n\n{piece}\n\n" if where == "between" else "\n\n"
        tail = f"\n\n{piece}" if where == "after" else ""
        blocks.append(f"{head}{middle}{ABSTRACT}{tail}\n\n{meta}\n·\n{date}")
    return listing(*blocks)


@pytest.mark.parametrize("furniture", FURNITURE, ids=lambda lines: " / ".join(lines))
@pytest.mark.parametrize("where", ["before", "between", "after"])
def test_each_kind_of_furniture_is_skipped_anywhere(write_seed, furniture, where):
    result = read_seed_file(write_seed(three_with(furniture, where)))
    assert fields(result) == expected_three()
    assert result.warnings == []


@pytest.mark.parametrize("furniture", FURNITURE, ids=lambda lines: " / ".join(lines))
def test_furniture_in_the_compact_layout_is_skipped_too(write_seed, furniture):
    piece = "\n".join(furniture)
    text = f"{piece}\nTitle One\n{SHORT}\n{piece}\nTitle Two\n{piece}\nSecond abstract.\n{piece}\n"
    result = read_seed_file(write_seed(text))
    assert [(e.title, e.abstract) for e in result.entries] == [("Title One", SHORT), ("Title Two", "Second abstract.")]
    assert result.warnings == []


def test_the_issue_s_listing_gives_exactly_its_papers(write_seed):
    """Submitted-by lines, bare counts, Upvote N and the buttons: before, a site of 227 papers from 200."""
    text = listing(
        "Submitted by akhaliq", "12", entry_block("First Paper", meta="  • 4 authors", date="Oct 20, 2024 7"),
        "View arXiv page\nView PDF\nAdd to collection",
        "Upvote 12", "View arXiv page", "Submitted by\nakhaliq",
        entry_block("Second Paper", meta="kyutai Kyutai", date="Oct 21, 2024 3"),
        "Add to collection", "5", entry_block("Third Paper", meta="  • 2 authors", date="Oct 22, 2024"),
        "View arXiv page")
    result = read_seed_file(write_seed(text))
    assert fields(result) == expected_three()
    assert result.warnings == []


# --- lines nobody knows --------------------------------------------------------------------------


def test_an_unknown_line_before_a_title_is_warned_and_moves_nothing(write_seed):
    text = listing(entry_block("First Paper"), "Some odd line", entry_block("Second Paper", meta="kyutai Kyutai",
                                                                          date="Oct 21, 2024 3"))
    path = write_seed(text)
    result = read_seed_file(path)
    assert [(e.title, e.authors, e.organization) for e in result.entries] == [
        ("First Paper", 4, None), ("Second Paper", None, Organization(handle="kyutai", name="Kyutai"))]
    assert [(w.file, w.line, "unrecognised line 'Some odd line'" in w.message) for w in result.warnings] == [
        (str(path), 9, True)]


def test_an_unknown_line_after_an_abstract_never_takes_its_metadata(write_seed):
    text = listing(entry_block("First Paper"), "Second Paper", ABSTRACT, "Share on X",
                   "  • 9 authors\n·\nOct 21, 2024 3", entry_block("Third Paper", meta="  • 2 authors",
                                                                  date="Oct 22, 2024"))
    result = read_seed_file(write_seed(text))
    assert [(e.title, e.abstract, e.authors, e.upvotes) for e in result.entries] == [
        ("First Paper", ABSTRACT, 4, 7), ("Second Paper", ABSTRACT, 9, 3), ("Third Paper", ABSTRACT, 2, 0)]
    assert [(w.line, "'Share on X'" in w.message) for w in result.warnings] == [(13, True)]


def test_unknown_lines_between_compact_entries_never_become_papers(write_seed):
    text = "Title One\n" + ABSTRACT + "\nA stray caption\nTitle Two\n" + ABSTRACT + "\nTitle Three\n" + ABSTRACT + "\n"
    result = read_seed_file(write_seed(text))
    assert [(e.title, e.abstract) for e in result.entries] == [
        ("Title One", ABSTRACT), ("Title Two", ABSTRACT), ("Title Three", ABSTRACT)]
    assert [w.line for w in result.warnings] == [3]


def test_an_abstract_with_no_title_is_never_a_title(write_seed):
    text = "Title One\n" + ABSTRACT + "\n" + ABSTRACT.upper() + "\nTitle Two\n" + ABSTRACT + "\n"
    result = read_seed_file(write_seed(text))
    assert [e.title for e in result.entries] == ["Title One", "Title Two"]
    assert [(w.line, "no title before it" in w.message) for w in result.warnings] == [(3, True)]


# --- dates, organisations, repeated warnings ------------------------------------------------------


def test_a_header_date_with_a_weekday_gives_the_capture_year(write_seed):
    text = listing("Thursday, Oct 24, 2024", entry_block("A", date="Oct 20 5"), entry_block("B", date="Nov 2"))
    result = read_seed_file(write_seed(text))
    # Nov 2 is after the capture day, Oct 24: it was the year before.
    assert [(e.published, e.upvotes) for e in result.entries] == [(dt.date(2024, 10, 20), 5), (dt.date(2023, 11, 2), 0)]
    assert result.warnings == []


def test_a_capture_year_in_the_config_wins_over_the_header(write_seed):
    text = listing("Thursday, Oct 24, 2024", entry_block("A", date="Oct 20 5"))
    assert read_seed_file(write_seed(text), capture_year=2019).entries[0].published == dt.date(2019, 10, 20)


def test_a_warning_repeated_through_a_file_is_shown_once_with_its_count(write_seed):
    blocks = [entry_block(f"Paper {n}", date="Mar 1") for n in range(40)]
    path = write_seed(listing(*blocks))
    result = read_seed_file(path)
    assert len(result.entries) == 40
    [warning] = result.warnings
    assert warning.line == 7 and "capture year is unknown" in warning.message
    assert "(40 times, at lines 7, 15, 23, …)" in warning.message
    assert str(warning).startswith(f"{path}:7: warning:")


def test_a_warning_given_fewer_times_is_shown_each_time(write_seed):
    blocks = [entry_block(f"Paper {n}", date="Mar 1") for n in range(REPEATS_SHOWN - 1)]
    result = read_seed_file(write_seed(listing(*blocks)))
    assert [w.line for w in result.warnings] == [7, 15]


@pytest.mark.parametrize(("line", "handle", "name"), [
    ("furiosa-ai FuriosaAI", "furiosa-ai", "FuriosaAI"),
    ("mit-han-lab MIT HAN Lab", "mit-han-lab", "MIT HAN Lab"),
    ("facebook AI at Meta", "facebook", "AI at Meta"),
    ("01-ai 01.AI", "01-ai", "01.AI"),
    ("Zhipu.AI Zhipu AI", "Zhipu.AI", "Zhipu AI"),
    ("ByteDance-Seed ByteDance Seed", "ByteDance-Seed", "ByteDance Seed"),
    ("THUDM Knowledge Engineering Group (KEG) & Data Mining at Tsinghua University", "THUDM",
     "Knowledge Engineering Group (KEG) & Data Mining at Tsinghua University"),
    ("baidu 百度", "baidu", "百度"),
    ("sberbank-ai Сбер AI", "sberbank-ai", "Сбер AI"),
    ("kakaobrain 카카오브레인", "kakaobrain", "카카오브레인"),
    ("Qwen", "Qwen", "Qwen"),
    ("allenai  Ai2", "allenai", "Ai2"),
    ("ÜberLab Über Lab", "ÜberLab", "Über Lab"),
])
def test_the_organisation_line_is_read_in_any_spelling(write_seed, line, handle, name):
    result = read_seed_file(write_seed(listing(entry_block("A Title", meta=line))))
    assert result.entries[0].organization == Organization(handle=handle, name=name)
    assert result.entries[0].published == dt.date(2024, 10, 20)
    assert result.warnings == []


# --- any mix of furniture in any valid listing ----------------------------------------------------


def read_text(text: str):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.txt"
        path.write_text(text, encoding="utf-8")
        return read_seed_file(path)


@st.composite
def with_furniture(draw):
    """A valid spaced listing, and the same listing with furniture put between any of its lines."""
    generated = draw(st.lists(entries(), min_size=1, max_size=8, unique_by=lambda e: title_key(e.title)))
    catalogue = merge_entries(generated)
    lines = format_spaced(catalogue).split("\n")
    inserts = draw(st.lists(st.tuples(st.integers(0, len(lines)), st.sampled_from(FURNITURE)), max_size=12))
    for position, furniture in sorted(inserts, key=lambda pair: -pair[0]):
        lines[position:position] = furniture
    return catalogue, "\n".join(lines)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(with_furniture())
def test_furniture_anywhere_gives_exactly_the_listed_papers(case):
    catalogue, text = case
    result = read_text(text)
    assert comparable(merge_entries(result.entries)) == comparable(catalogue)
    assert all("unusually long" in w.message for w in result.warnings)
