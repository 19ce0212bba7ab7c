"""Fuzzing the text policy: abstract_html and plain_text never crash and never emit markup from the input.

The default run uses a few hundred Hypothesis examples per property. A longer run (several
minutes, many thousands of examples) is marked slow and deselected unless asked for:

    pytest -m slow tests/test_text_fuzz.py
    TEXT_FUZZ_EXAMPLES=100000 pytest -m slow tests/test_text_fuzz.py   # longer still

Input that HTML5 or XML cannot carry (C0 controls other than tab/LF/CR, DEL and C1 controls, lone
surrogates, noncharacters) comes out as U+FFFD, which the properties below check too.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it.common.normalize_url import normalizeLink

from paper_catalogue.text import (
    SAFE_SCHEMES,
    _LINKIFY,
    _link_spans,
    abstract_html,
    excerpt,
    find_links,
    plain_text,
    sanitize,
)

from test_text import markup_problems, parse, seed_abstracts, visible_text

# The slow run's size; TEXT_FUZZ_EXAMPLES changes it (the default takes a few minutes on 2 cores).
LONG_RUN_EXAMPLES = int(os.environ.get("TEXT_FUZZ_EXAMPLES", "50000"))

# Pieces that reach every branch of the policy, and the markup an attacker would try.
PIECES = [
    "\\textbf{", "\\emph{", "\\textit{", "{\\em ", "{\\bf ", "{", "}", "\\{", "\\}", "``", "''", '"', "`", "'",
    "~", "$", "\\(", "\\)", "\\%", "\\&", "\\$", "\\", "\\tau", "{\\tau}", "\\alpha", "\\'a", "\\\"{o}",
    "\\frac{", "\\text{<b>}", "\\href{javascript:alert(1)}{x}", "\\color{red}", "^", "_", "\\limits",
    "https://example.org/a_b", "http://x.y/~u", "HTTPS://A.B/", "javascript:alert(1)", "data:text/html,",
    "<script>", "</script>", "<a href=x>", "</a>", "<math>", "</em>", "<!--", "-->", "<![CDATA[", "&amp;",
    "&#60;", "&", "<", ">", "onerror=", "*PO", " ", "  ", "\t", "\n", "(", ")", ".", ",", "word", "x",
    "\x00", "\x0b", "\x1f", "\x7f", "\x85", "\ud800", "\udfff", "\ufdd0", "\ufffe", "\U0001fffe",
]
characters = st.characters(codec=None, exclude_categories=())  # every code point, lone surrogates included
hostile_text = st.lists(st.one_of(st.sampled_from(PIECES), st.text(characters, max_size=8)), max_size=60).map("".join)
any_text = st.one_of(hostile_text, st.text(characters, max_size=300))

def check_html(source: str) -> None:
    rendered = abstract_html(source)
    text = str(rendered)
    assert markup_problems(text) == [], (source, text)
    assert sanitize(text) == text  # no control character, surrogate or noncharacter survives


def check_plain(source: str) -> None:
    text = plain_text(source)
    assert sanitize(text) == text
    cleaned = sanitize(source)
    for char in "<>":  # plain text adds no angle bracket: any markup in it was in the input
        assert text.count(char) <= cleaned.count(char)
    assert len(excerpt(source)) <= 160


def check_agreement(source: str) -> None:
    """What a reader sees is the plain text (outside math), and the page links what papers.json lists."""
    rendered = str(abstract_html(source))
    if "<math" not in rendered and 'class="math"' not in rendered:  # scripts without dollars are maths too
        assert visible_text(rendered) == plain_text(source)
    hrefs = [attrs["href"] for tag, attrs in parse(rendered).tags if tag == "a"]
    listed = [normalizeLink(url) for url in find_links(source)]
    assert list(dict.fromkeys(hrefs)) == list(dict.fromkeys(listed))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_text)
def test_html_never_crashes_nor_emits_markup_from_the_input(source):
    check_html(source)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_text)
def test_plain_text_never_crashes_nor_adds_markup(source):
    check_plain(source)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_text)
def test_the_reader_sees_the_plain_text_and_the_links_papers_json_lists(source):
    check_agreement(source)


url_text = st.lists(
    st.sampled_from(["http://", "https://", "HTTP://", "a.b", "x.org", "/", "~", ".", ",", ")", "(", " ", "xhttp://",
                     "mailto:a@b.c", "ftp://f.g/", ":", "//", "{", "}", "'", '"', "\u00a0", "\u3000", "\x00"]),
    max_size=30,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(url_text)
def test_windowed_link_search_finds_what_linkify_finds_on_the_whole_text(source):
    whole = [(m.index, m.last_index, m.url) for m in _LINKIFY.match(source) or () if m.url.lower().startswith(SAFE_SCHEMES)]
    assert _link_spans(source) == whole


def test_control_characters_surrogates_and_noncharacters_become_replacement_characters():
    source = "a\x00b\x1fc\x7fd\x9ce\ud800f\udfffg\ufdd0h\uffffi\U0010ffffj\tk\nl\rm"
    expected = "a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf\ufffdg\ufffdh\ufffdi\ufffdj\tk\nl\rm"
    assert plain_text(source) == expected
    assert str(abstract_html(source)) == expected


def test_one_ten_megabyte_line():
    joined = " ".join(seed_abstracts())
    line = ((joined + " ") * (10_000_000 // len(joined) + 1))[:10_000_000] + "<script>\x00\ud800"
    assert "\n" not in line and len(line) > 10_000_000
    rendered = str(abstract_html(line))
    assert markup_problems(rendered) == []
    assert rendered.endswith("&lt;script&gt;\ufffd\ufffd")
    assert plain_text(line).endswith("<script>\ufffd\ufffd")
    # one megabyte-long "URL" is not linked, and costs no more than text
    assert "<a " not in str(abstract_html("https://a.b/" + "x" * 10_000_000))


@pytest.mark.slow
@settings(max_examples=LONG_RUN_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(any_text)
def test_long_fuzzing_run(source):
    check_html(source)
    check_plain(source)
    check_agreement(source)
