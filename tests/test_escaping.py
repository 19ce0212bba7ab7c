"""Hostile seed text stays text: every output file of a real build is checked, whatever it is."""

from __future__ import annotations

import subprocess
import sys

import pytest
from site_build import parse_html as parse_tree

from conftest import REAL_SITE_SRC, ROOT
from paper_catalogue.export import read_export
from paper_catalogue.text import excerpt
from site_checks import html_problems, is_safe_url, parse_html, read_site, site_problems

SITE_HOST = "example.org"
# 7*191: a template engine that evaluated seed text would print this number somewhere.
EVALUATED = "1337"

HOSTILE = [
    ('<script>alert("XSS-title")</script> Attention Heads Explained',
     'We show <script>alert("XSS-abstract")</script> and </script><script>alert(2)</script> too.'),
    ('"onmouseover="alert(1)" x=\'y\' Probing Attribute Breakouts',
     "An abstract ending an attribute \" onmouseover=\"alert(5)\" and ' onfocus='alert(6)' for good."),
    ('</script><!-- Closing Tags in Titles',
     "Text with </script> and <!-- a comment --> and </style> and </title> inside."),
    (']]> CDATA Ends & Ampersands <![CDATA[ Everywhere',
     "An abstract with ]]> and <![CDATA[ x ]]> and & and &amp; and &lt;b&gt; entities."),
    ("javascript:alert(1)",
     "Links: javascript:alert(1) and JAVASCRIPT:alert(2) and data:text/html,<script>alert(4)</script>"
     " and data:text/html;base64,PHNjcmlwdD5hbGVydCg0KTwvc2NyaXB0Pg== and vbscript:msgbox(1)."),
    ("{{ 7*191 }} and {% if true %}Jinja{% endif %} Templates in Titles",
     "Curly {{ 7*191 }} and {% raw %}{{ x }}{% endraw %} and {# comment #} and ${7*191} text."),
    ("Line\u2028Separators and\u2029Paragraph Separators",
     "An abstract with \u2028 and \u2029 inside, which old JavaScript parsers treat as line ends."),
    ("Quotes ' \" \u2018 \u2019 \u201c \u201d & &amp; &lt; Mixed",
     "Backslashes \\ and \\\" and \\u003c/script\\u003e and a tab\there."),
    ("<img src=x onerror=alert(3)> Image Probe <xss-probe data-x=1>Custom</xss-probe>",
     '<a href="javascript:alert(6)">click</a> and [link](javascript:alert(7)) and '
     '<iframe src="data:text/html,hi"></iframe> and <base href="https://evil.example/">.'),
    ("Safe Links Still Work",
     'Code at https://github.com/example/repo?a=1&b=<x>" onmouseover="alert(8) and '
     "http://good.example/path'><script>alert(9)</script> and https://example.com/ok."),
]


def hostile_seed() -> str:
    blocks = []
    for number, (title, abstract) in enumerate(HOSTILE):
        blocks.append(f"{title}\n\n{abstract}\n\n  • {number + 1} authors\n·\nMar {number + 1}, 2024 {number}\n")
    return "\n".join(blocks)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    seeds = root / "seeds"
    seeds.mkdir()
    (seeds / "hostile.txt").write_text(hostile_seed(), encoding="utf-8")
    out = root / "_site"
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--seeds", str(seeds),
                             "--site-src", str(REAL_SITE_SRC), "--out",
                             str(out), "--base-url", f"https://{SITE_HOST}/catalogue/", "--quiet"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return out


def test_every_output_file_of_a_hostile_build_is_safe(hostile_site):
    files = read_site(hostile_site)
    assert any(path.suffix == ".html" for path in files)
    assert site_problems(files, SITE_HOST) == []


def test_hostile_text_is_shown_as_text_not_dropped(hostile_site):
    papers = read_export(hostile_site)
    titles = {paper["title"]: paper for paper in papers}
    assert set(titles) == {title for title, _ in HOSTILE}  # the export holds them exactly
    for title, _ in HOSTILE:
        page = parse_html((hostile_site / titles[title]["url"] / "index.html").read_text("utf-8"))
        assert title in "".join(page.text), f"{title!r} is not shown as text on its page"


def test_hostile_text_in_attributes_stays_one_attribute_value(hostile_site):
    """Titles reach attributes whole (og:title) and abstracts through the meta
    description; each must read back as exactly the text, so no quote broke out of its attribute."""
    papers = read_export(hostile_site)
    by_title = {paper["title"]: paper for paper in papers}
    for title, abstract in HOSTILE:
        page = parse_tree((hostile_site / by_title[title]["url"] / "index.html").read_text("utf-8"))
        metas = {e.attrs.get("name") or e.attrs.get("property"): e.attrs.get("content")
                 for e in page.find_all("meta")}
        assert metas["og:title"] == title
        assert metas["description"] == excerpt(abstract)
        assert not [e for e in page.iter() if any(name.startswith("on") for name in e.attrs)]


def test_template_syntax_in_seeds_is_never_evaluated(hostile_site):
    for path, data in read_site(hostile_site).items():
        assert EVALUATED.encode() not in data, f"{path} holds {EVALUATED}: seed text was evaluated"
    assert any("{{ 7*191 }}" in record["title"] + record["abstract"] for record in read_export(hostile_site))


def test_only_http_links_from_seeds_are_linked(hostile_site):
    linked = set()
    for path, data in read_site(hostile_site).items():
        if path.suffix == ".html":
            linked |= {e.attrs.get("href") or "" for e in parse_html(data.decode()).elements if e.tag == "a"}
    assert "https://example.com/ok" in {href.rstrip(".") for href in linked} or any(
        href.startswith("https://example.com/ok") for href in linked)
    assert not [href for href in linked if not is_safe_url(href)]
    papers = read_export(hostile_site)
    for paper in papers:
        assert all(link.startswith(("http://", "https://")) for link in paper["links"])
        assert not any("<" in link or '"' in link for link in paper["links"])


# The checker itself must catch what it is meant to catch, or the tests above prove nothing.
@pytest.mark.parametrize("html, finds", [
    ('<a href="javascript:alert(1)">x</a>', "javascript"),
    ('<a href=" java\tscript:alert(1)">x</a>', "is not http(s)"),
    ('<a href="data:text/html,x">x</a>', "is not http(s)"),
    ('<a href="https://evil.example/">x</a>', "lacks rel"),
    ('<a href="//evil.example/">x</a>', "is not http(s)"),
    ("<p onmouseover=alert(1)>x</p>", "event handler"),
    ("<script>alert(1)</script>", "inline script"),
    ('<script type="application/ld+json">{"a": "</script><script>alert(1)</script>"}</script>', "inline script"),
    ("<img src=x onerror=alert(1)>", "not an element the site makes"),
    ('<p style="color:red">x</p>', "inline style"),
])
def test_the_checker_catches_unsafe_markup(html, finds):
    problems = html_problems("t.html", html, SITE_HOST)
    assert any(finds in problem for problem in problems), problems


def test_the_checker_passes_safe_markup():
    html = ('<a href="/catalogue/papers/x/">x</a><a href="https://github.com/a" rel="noreferrer">'
            'y</a><a href="https://example.org/catalogue/">z</a><script src="/catalogue/static/site.js"></script>')
    assert html_problems("t.html", html, SITE_HOST) == []
