"""Fuzzing: the reader never crashes and reports bad bytes exactly; rendered pages never carry markup
from the data. The default run is short; `pytest -m slow` runs the long one (a few minutes)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import ROOT, SITE_SRC
from paper_catalogue.catalogue import merge_entries
from paper_catalogue.config import load_site_config
from paper_catalogue.diagnostics import SeedError
from paper_catalogue.models import Catalogue
from paper_catalogue.pipeline import BuildOptions, render_files
from paper_catalogue.seeds import FURNITURE, NOT_TEXT, SEPARATOR, read_seed_file
from paper_catalogue.text import title_text
from paper_catalogue.urls import output_path, paper_url
from site_checks import parse_html, site_problems

SITE_HOST = "example.org"
TEN_MB_LINE = b"A " * 5_000_000

# Pieces a hostile or broken dump may hold: markup, URL schemes, template syntax, control
# characters, lone surrogates (as CESU bytes and as UTF-8 would encode them), overlong forms.
HOSTILE_TEXT = ["<script>alert(1)</script>", "</script>", '"', "'", "<", ">", "&", "&amp;", "]]>",
                "<![CDATA[", "<!--", "-->", "{{ 7*191 }}", "{% if x %}", "{#", "javascript:alert(1)",
                "data:text/html,<b>x</b>", "https://example.com/a?b=1&c=<d>", " onmouseover=alert(1) ",
                "\u2028", "\u2029", "\x00", "\x1b[31m", "\x7f", "\x85", "\ufeff", "\ufffe", "\uffff",
                "\u200b", "\ud7ff", "\U0001f600", "\t", "\x0b", "\x0c", "·", "• 3 authors", "Oct 20",
                "Nov 27, 2024 2", "Feb 30, 2024", "9" * 5000, "kyutai Kyutai"]
HOSTILE_BYTES = [b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xc0\xaf", b"\xff", b"\xfe", b"\xc3", b"\xe2\x82",
                 b"\xf4\x90\x80\x80", b"\r", b"\n", b"\r\n", b"\x00"]


def text_line():
    return st.lists(st.sampled_from(HOSTILE_TEXT) | st.text(max_size=20), max_size=8).map("".join)


def hostile_dump():
    """Bytes that look like a listing dump, broken in every way the pieces above allow."""
    line = text_line().map(lambda t: t.encode("utf-8", "surrogatepass"))
    piece = line | st.sampled_from(HOSTILE_BYTES) | st.sampled_from(
        [f"{f}".encode() for f in sorted(FURNITURE)] + [SEPARATOR.encode()])
    return (st.lists(st.tuples(piece, st.sampled_from([b"\n", b"\r\n", b"\r", b"\n\n"])), max_size=40)
            .map(lambda pairs: b"".join(p + end for p, end in pairs))
            | st.binary(max_size=3000))


def read_bytes(data: bytes):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.txt"
        path.write_bytes(data)
        return read_seed_file(path, capture_year=2025)


def check_reader(data: bytes) -> None:
    try:
        result = read_bytes(data)
    except SeedError as error:
        message = str(error)
        assert "fuzz.txt: " in message
        if bad := re.search(r"not UTF-8: invalid byte at offset (\d+)", message):
            offset = int(bad[1])
            data[:offset].decode("utf-8")  # everything before the offset is good UTF-8 ...
            with pytest.raises(UnicodeDecodeError) as decoding:
                data.decode("utf-8")
            assert decoding.value.start == offset  # ... and the offset is the first bad byte
        else:
            data.decode("utf-8")
            assert "holds no paper entry" in message
        return
    lines = len(re.findall(rb"\r\n?|\n", data)) + 1
    assert result.entries
    for entry in result.entries:
        for text in (entry.title, entry.abstract):
            assert not NOT_TEXT.search(text) and "\r" not in text and "\n" not in text
            assert text == text.strip()
        assert entry.title and 1 <= entry.source.line <= lines
    for warning in result.warnings:
        assert 1 <= warning.line <= lines and warning.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_dump())
@example(TEN_MB_LINE)
@example(b"Title\n" + TEN_MB_LINE + b"\n")
@example(b"Title\r" + TEN_MB_LINE + b"\r\xed\xa0\x80")
@example(b"Title\n\xed\xa0\x80 lone surrogate\n")
@example(b"Ti\x00tle\nAbs\x01tract\n")
def test_reader_never_crashes_and_reports_bad_bytes_exactly(data):
    check_reader(data)


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_dump())
def test_reader_long_fuzz(data):
    check_reader(data)


# --- Rendering: pages never carry markup from the data -----------------------------------------

# The site's own settings and pages, whatever they hold: a fork's pages are checked too.
CONFIG = load_site_config(SITE_SRC / "site.toml", f"https://{SITE_HOST}/sub/")
OPTIONS = BuildOptions(site_src=SITE_SRC, templates=ROOT / "templates", static=ROOT / "static")
ENTRY_TEXT = text_line().filter(lambda t: t.strip())


def dump_of(pairs: list[tuple[str, str]]) -> bytes:
    return "".join(f"{title}\n\n{abstract}\n\n  • 2 authors\n·\nMar 3, 2024 5\n\n"
                   for title, abstract in pairs).encode("utf-8", "surrogatepass")


def check_rendering(pairs: list[tuple[str, str]]) -> None:
    try:
        result = read_bytes(dump_of(pairs))
    except SeedError:
        return
    catalogue = Catalogue(papers=merge_entries(result.entries))
    files = render_files(catalogue, CONFIG, OPTIONS)
    assert site_problems(files, SITE_HOST) == []
    for paper in catalogue.papers:
        page = parse_html(files[output_path(paper_url(paper.id))].decode("utf-8"))
        assert title_text(paper.title) in "".join(page.text)  # shown as text: escaped, not dropped


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(ENTRY_TEXT, ENTRY_TEXT), min_size=1, max_size=4))
def test_rendered_pages_never_carry_markup_from_the_data(pairs):
    check_rendering(pairs)


@pytest.mark.slow
@settings(max_examples=1_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(ENTRY_TEXT, ENTRY_TEXT), min_size=1, max_size=4))
def test_rendering_long_fuzz(pairs):
    check_rendering(pairs)
