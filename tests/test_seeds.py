"""The seed reader: both layouts, every kind of page furniture, dates, metadata and bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from paper_catalogue.diagnostics import SeedError
from paper_catalogue.models import Organization
from paper_catalogue.seeds import read_seed_file, seed_files

ABSTRACT = "We study a thing at length and report what we found about it in detail."
SPACED = """\
new

Get trending papers in your email inbox!

Subscribe

Daily Papers

byAK and the research community

Nov 3

First Paper Title

{a}

  • 7 authors
·
Aug 30 1

Second Paper Title

{a}

furiosa-ai FuriosaAI
·
Nov 27, 2024 2

Third Paper Title

{a}
""".format(a=ABSTRACT)


def read(write_seed, text, **kwargs):
    return read_seed_file(write_seed(text), **kwargs)


def test_compact_layout_pairs_title_and_abstract_lines(write_seed):
    result = read(write_seed, f"Title One\n{ABSTRACT}\nTitle Two\nSecond abstract.\n")
    assert [(e.title, e.abstract) for e in result.entries] == [
        ("Title One", ABSTRACT), ("Title Two", "Second abstract.")]
    assert all(e.published is None and e.upvotes is None and e.authors is None for e in result.entries)
    assert result.warnings == []


def test_spaced_layout_reads_metadata_blocks(write_seed):
    result = read(write_seed, SPACED)
    first, second, third = result.entries
    assert (first.title, first.authors, first.published, first.upvotes) == (
        "First Paper Title", 7, dt.date(2025, 8, 30), 1)
    assert second.organization == Organization(handle="furiosa-ai", name="FuriosaAI")
    assert (second.published, second.upvotes, second.authors) == (dt.date(2024, 11, 27), 2, None)
    assert (third.abstract, third.published, third.upvotes) == (ABSTRACT, None, None)
    assert [e.source.line for e in result.entries] == [13, 21, 29]
    assert result.warnings == []


@pytest.mark.parametrize("furniture", [
    "new",
    "Get trending papers in your email inbox!",
    "Get trending papers in your email inbox once a day!",
    "Subscribe",
    "Daily Papers",
    "byAK and the research community",
])
def test_page_furniture_is_never_a_paper(write_seed, furniture):
    result = read(write_seed, f"{furniture}\n\nReal Title\n\n{ABSTRACT}\n")
    assert [e.title for e in result.entries] == ["Real Title"]
    assert result.warnings == []


def test_subscribe_glued_onto_the_first_title_is_removed(write_seed):
    result = read(write_seed, f"SubscribeCritique-out-Loud Reward Models\n{ABSTRACT}\n")
    assert result.entries[0].title == "Critique-out-Loud Reward Models"


def test_a_title_that_merely_starts_with_subscribe_is_kept(write_seed):
    result = read(write_seed, f"Subscriber Churn Prediction\n{ABSTRACT}\n")
    assert result.entries[0].title == "Subscriber Churn Prediction"


def test_the_page_date_line_is_the_capture_day_not_a_paper(write_seed):
    result = read(write_seed, f"Oct 28\n\nA Title\n\n{ABSTRACT}\n\n  • 2 authors\n·\nOct 20, 2024\n")
    assert [e.title for e in result.entries] == ["A Title"]


@pytest.mark.parametrize("line,expected,upvotes", [
    ("Aug 30 1", dt.date(2025, 8, 30), 1),
    ("Nov 27, 2024 2", dt.date(2024, 11, 27), 2),
    ("Oct 20", dt.date(2025, 10, 20), 0),
    ("Mar 9, 2020", dt.date(2020, 3, 9), 0),
])
def test_date_forms(write_seed, line, expected, upvotes):
    text = f"Dec 31\n\nT\n\n{ABSTRACT}\n\n  • 2 authors\n·\n{line}\n\nU\n\n{ABSTRACT}\n\n  • 2 authors\n·\nJan 1, 2024\n"
    entry = read(write_seed, text).entries[0]
    assert (entry.published, entry.upvotes) == (expected, upvotes)


def test_yearless_date_after_the_capture_day_belongs_to_the_year_before(write_seed):
    text = f"Nov 3\n\nT\n\n{ABSTRACT}\n\n  • 2 authors\n·\nNov 27\n\nU\n\n{ABSTRACT}\n\n  • 2 authors\n·\nJan 1, 2024\n"
    assert read(write_seed, text).entries[0].published == dt.date(2024, 11, 27)


def test_capture_year_from_config_wins(write_seed):
    text = f"T\n\n{ABSTRACT}\n\n  • 2 authors\n·\nMar 1\n"
    assert read(write_seed, text, capture_year=2019).entries[0].published == dt.date(2019, 3, 1)


def test_yearless_date_with_unknown_capture_year_warns(write_seed):
    result = read(write_seed, f"T\n\n{ABSTRACT}\n\n  • 2 authors\n·\nMar 1\n")
    assert result.entries[0].published is None
    assert result.entries[0].upvotes == 0
    assert [(w.line, "capture year" in w.message) for w in result.warnings] == [(7, True)]


# --- input that is not as expected -------------------------------------------------------------

def catalogue_of(result):
    return [(e.title, e.abstract, e.published, e.upvotes, e.authors, e.organization) for e in result.entries]


@pytest.mark.parametrize("mangle", [
    lambda t: t.replace("\n", "\r\n"),
    lambda t: t.replace("\n", "\r"),
    lambda t: "\ufeff" + t,
    lambda t: t.replace(" ", "\u00a0", 3).replace("Title", "Title   "),
    lambda t: t.replace("\n\n", "\n\n\n\n"),
    lambda t: t.replace("\n", " \t\n"),
])
def test_messy_text_reads_the_same_as_clean_text(write_seed, mangle):
    clean = catalogue_of(read(write_seed, SPACED))
    messy = read_seed_file(write_seed(mangle(SPACED), name="messy.txt"))
    assert catalogue_of(messy) == clean
    assert messy.warnings == []


def test_impossible_date_warns_and_keeps_the_rest_of_the_entry(write_seed):
    result = read(write_seed, f"T\n\n{ABSTRACT}\n\n  • 4 authors\n·\nFeb 30, 2024 3\n")
    entry = result.entries[0]
    assert (entry.title, entry.authors, entry.upvotes, entry.published) == ("T", 4, 3, None)
    assert len(result.warnings) == 1
    warning = result.warnings[0]
    assert warning.line == 7 and "Feb 30, 2024" in warning.message
    assert str(warning).startswith(f"{warning.file}:7: warning:")


def test_title_with_no_abstract_warns_and_keeps_the_title(write_seed):
    result = read(write_seed, f"Lonely Title\n\n  • 4 authors\n·\nFeb 3, 2024\n\nNext Title\n\n{ABSTRACT}\n")
    assert [(e.title, e.abstract, e.authors) for e in result.entries] == [
        ("Lonely Title", "", 4), ("Next Title", ABSTRACT, None)]
    assert [(w.line, "no abstract" in w.message) for w in result.warnings] == [(1, True)]


def test_title_at_end_of_file_with_no_abstract_warns(write_seed):
    result = read(write_seed, f"A\n\n{ABSTRACT}\n\nDangling Title\n")
    assert [e.title for e in result.entries] == ["A", "Dangling Title"]
    assert [w.line for w in result.warnings] == [5]


def test_metadata_block_with_no_entry_before_it_warns(write_seed):
    result = read(write_seed, f"  • 4 authors\n·\nFeb 3, 2024\n\nA\n\n{ABSTRACT}\n")
    assert [e.title for e in result.entries] == ["A"]
    assert [(w.line, "no entry before it" in w.message) for w in result.warnings] == [(1, True)]


def test_separator_without_a_date_warns(write_seed):
    result = read(write_seed, f"A\n\n{ABSTRACT}\n\n  • 4 authors\n·\n\nB\n\n{ABSTRACT}\n")
    assert [e.title for e in result.entries] == ["A", "B"]
    assert result.entries[0].authors == 4
    assert [(w.line, "expected a date" in w.message) for w in result.warnings] == [(6, True)]


def test_markup_in_titles_and_abstracts_is_kept_as_text(write_seed):
    title = "<script>alert('x')</script> & *PO"
    result = read(write_seed, f"{title}\n<b>bold</b> &amp; more\n")
    assert (result.entries[0].title, result.entries[0].abstract) == (title, "<b>bold</b> &amp; more")


def test_non_utf8_file_is_an_error_naming_file_and_byte_offset(write_seed):
    path = write_seed(b"Title\nAbstract with a bad \xff byte\n")
    with pytest.raises(SeedError) as error:
        read_seed_file(path)
    assert str(path) in str(error.value) and "offset 26" in str(error.value)


def test_non_utf8_offset_counts_crlf_bytes(write_seed):
    path = write_seed(b"Title\r\nAb\xc3\x28\r\n")
    with pytest.raises(SeedError, match="offset 9"):
        read_seed_file(path)


def test_file_with_no_entry_is_an_error(write_seed):
    with pytest.raises(SeedError, match="holds no paper entry"):
        read_seed_file(write_seed("new\n\nSubscribe\n\nDaily Papers\n"))


def test_empty_seeds_folder_is_an_error(tmp_path):
    with pytest.raises(SeedError, match=r"no listing dumps \(\*.txt\) or API records"):
        seed_files(tmp_path)


def test_missing_seeds_folder_is_an_error(tmp_path):
    with pytest.raises(SeedError, match="does not exist"):
        seed_files(tmp_path / "nope")


def test_seed_path_that_is_a_folder_is_an_error(tmp_path):
    (tmp_path / "dir.txt").mkdir()
    with pytest.raises(SeedError, match="is a folder"):
        read_seed_file(tmp_path / "dir.txt")


def test_broken_symlink_is_an_error(tmp_path):
    (tmp_path / "gone.txt").symlink_to(tmp_path / "missing")
    with pytest.raises(SeedError, match="broken symbolic link"):
        read_seed_file(tmp_path / "gone.txt")
