"""Text policy: abstracts rendered for reading (HTML) and as plain text, with real seed examples."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from html.parser import HTMLParser

import pytest
from markdown_it.common.normalize_url import normalizeLink
from markupsafe import Markup

from paper_catalogue.seeds import read_seed_file, seed_files
from paper_catalogue.text import GREEK, NBSP, abstract_html, author_macros, excerpt, find_links, plain_text

from bench.latex_fidelity import lost_words, page_text
from conftest import REAL_SEEDS

MATHML_TAGS = frozenset(
    "math mrow mi mn mo ms mtext mspace msub msup msubsup munder mover munderover mfrac msqrt "
    "mroot mstyle merror mpadded mphantom mtable mtr mtd menclose".split()
)
ALLOWED_TAGS = frozenset({"strong", "em", "a", "code"}) | MATHML_TAGS


class _Markup(HTMLParser):
    """Everything a check needs from an HTML fragment: tags, attributes, text, nesting errors."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.errors.append(f"self-closing <{tag}/>")

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"</{tag}> closes nothing open")

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> _Markup:
    parser = _Markup()
    parser.feed(str(html))
    parser.close()
    if parser.stack:
        parser.errors.append(f"left open: {parser.stack}")
    return parser


def visible_text(html: str) -> str:
    """What a reader sees: tags stripped, character references resolved."""
    return "".join(parse(html).text)


def markup_problems(html: str) -> list[str]:
    """Every way an HTML fragment breaks the display policy (empty when it is safe)."""
    parsed = parse(html)
    problems = list(parsed.errors)
    for tag, attrs in parsed.tags:
        if tag not in ALLOWED_TAGS:
            problems.append(f"tag <{tag}>")
        if tag == "a":
            href = attrs.get("href") or ""
            if not href.lower().startswith(("http://", "https://")) or set(attrs) != {"href", "rel"}:
                problems.append(f"link {attrs}")
            if attrs.get("rel") != "noreferrer":
                problems.append(f"link rel {attrs}")
        elif tag in ("strong", "em") and attrs:
            problems.append(f"<{tag}> with attributes {attrs}")
        elif tag == "code" and attrs != {"class": "math"}:
            problems.append(f"<code> attributes {attrs}")
        elif any(name.startswith("on") or name in ("href", "src", "style", "xlink:href") for name in attrs):
            problems.append(f"<{tag}> attributes {attrs}")
    return problems


def seed_abstracts() -> list[str]:
    return [entry.abstract for path in seed_files(REAL_SEEDS) for entry in read_seed_file(path).entries]


def seed_line_containing(fragment: str) -> str:
    """The real seed abstract that carries a fragment (so examples stay tied to the seeds)."""
    for abstract in seed_abstracts():
        if fragment in abstract:
            return abstract
    raise AssertionError(f"no seed abstract holds {fragment!r}")


def html(text: str) -> str:
    return str(abstract_html(text))


# --- one test per fragment kind, with real seed examples ----------------------------------------


def test_escaped_percent_and_ampersand_become_the_characters():
    source = seed_line_containing(r"up to 25\% relative gain")
    assert "up to 25% relative gain and 6% absolute win rate" in html(source)
    assert "\\%" not in plain_text(source)
    source = seed_line_containing(r"\&Helpful")
    assert "&amp;Helpful" in html(source) and "\\&" not in html(source)
    assert "&Helpful" in plain_text(source)


def test_textbf_becomes_strong_even_inside_a_word():
    source = seed_line_containing(r"\textbf{D}irect Preference Learning")
    assert (
        "we introduce <strong>D</strong>irect Preference Learning with Only <strong>S</strong>elf-Generated "
        "<strong>T</strong>ests and <strong>C</strong>ode (DSTC)"
    ) in html(source)
    assert "introduce Direct Preference Learning with Only Self-Generated Tests and Code (DSTC)" in plain_text(source)


def test_a_long_textbf_group_is_one_strong_element():
    source = seed_line_containing(r"\textbf{Tree-Estimated")
    assert "TEMPO (<strong>Tree-Estimated Mean Prefix Value for Policy Optimization</strong>)" in html(source)


def test_em_switch_and_emph_become_em():
    source = seed_line_containing(r"{\em a network}")
    assert "object perception by <em>a network</em>. We demonstrate" in html(source)
    assert html(r"an \emph{emphasised} word") == "an <em>emphasised</em> word"


def test_tex_double_quotes_become_curly_quotes_closed_by_two_apostrophes_or_a_straight_quote():
    source = seed_line_containing("``August 4, 1961''")
    assert "both \u201cAugust 4, 1961\u201d and \u201c1961\u201d are correct answers" in html(source)
    source = seed_line_containing('``back-off"')
    assert "enables RePAQ to \u201cback-off\u201d to a more" in html(source)


def test_tex_single_quotes_become_curly_quotes_and_apostrophes_stay():
    source = seed_line_containing("`teacher' network")
    rendered = plain_text(source)
    assert "\u2018teacher\u2019 network" in rendered and "`" not in rendered
    assert plain_text("the `student's' view") == "the \u2018student's\u2019 view"
    assert plain_text("it's the models' turn") == "it's the models' turn"


def test_a_tilde_between_words_becomes_a_non_breaking_space_and_others_stay():
    source = seed_line_containing("models~(VLMs)")
    assert f"Vision-language models{NBSP}(VLMs) have" in plain_text(source)
    assert f"Sanghavi{NBSP}jns13" in plain_text(seed_line_containing("Sanghavi~jns13"))
    assert "by ~33.5% in" in plain_text(seed_line_containing("by ~33.5%"))
    assert "1% ~ 4% adversarial" in plain_text(seed_line_containing("1% ~ 4%"))


def test_greek_letters_become_the_unicode_letter():
    source = seed_line_containing(r"{\tau}")
    assert "the temperature \u03c4 controls" in html(source)
    assert "the temperature \u03c4 ." in plain_text(source)
    assert plain_text(r"step \alpha and {\Omega}") == "step \u03b1 and \u03a9"
    assert GREEK["tau"] == "\u03c4"
    assert plain_text(r"\taut stays") == r"taut stays"  # not a Greek letter: an authors' macro, by name


def test_accents_become_the_accented_letter():
    source = seed_line_containing(r"\'a la Math-Shepherd")
    assert "baseline \u00e1 la Math-Shepherd" in plain_text(source)
    assert plain_text(r"Erd\H{o}s, G\"odel, {\'e}t\'{e}") == "Erd\u0151s, G\u00f6del, \u00e9t\u00e9"
    assert plain_text(r"{\"U}ber Fr\'echet, Pe\~na, \'\i{}ndice, \v{C}ech, \ss") == "\u00dcber Fr\u00e9chet, Pe\u00f1a, \u00edndice, \u010cech, \u00df"


def test_inline_math_becomes_mathml():
    source = seed_line_containing(r"\(V(s)\)")
    rendered = html(source)
    assert (
        'prefix values <math display="inline"><mrow><mi>V</mi><mo stretchy="false">(</mo><mi>s</mi>'
        '<mo stretchy="false">)</mo></mrow></math> by aggregating'
    ) in rendered
    assert "prefix values V(s) by aggregating" in plain_text(source)
    assert "<msup><mi>n</mi><mn>2</mn></msup>" in html("costs $O(n^2)$ time")
    assert plain_text(r"with $\alpha \leq \beta^2$ here") == "with \u03b1 \u2264 \u03b2\u00b2 here"


def test_dollar_amounts_are_not_math():
    assert html("it costs $5 and $6 a month") == "it costs $5 and $6 a month"
    assert html(r"a price of \$5 and $x$") .startswith("a price of $5 and <math")


def test_math_that_does_not_convert_falls_back_to_its_words_in_code():
    assert html(r"broken \(\frac{a\) here") == 'broken <code class="math">a</code> here'
    assert plain_text(r"broken \(\frac{a\) here") == "broken a here"


def test_mathml_is_rebuilt_from_an_allow_list():
    rendered = html(r"$\text{<script>x</script>} \href{javascript:alert(1)}{y} \color{red} z$")
    assert "<script>" not in rendered and "&lt;script&gt;" in rendered
    assert "javascript" not in rendered and "xmlns" not in rendered
    assert markup_problems(rendered) == []


def test_authors_macros_show_their_name_and_markdown_stays_as_written():
    source = seed_line_containing(r"min-\p sampling")
    assert r"top-p (nucleus) sampling, and min-p sampling" in plain_text(source)
    assert author_macros(source) == ("\\p",)
    assert "**top-H** decoding" in plain_text(source)
    for title_like in ("*PO", "A*-Decoding", "_underscored_"):
        assert html(title_like) == title_like and plain_text(title_like) == title_like


def test_a_brace_that_pairs_with_none_is_dropped_and_its_text_kept():
    # what is left of a group whose other half the listing lost: TeX would refuse it, a reader
    # needs only the words
    assert plain_text(r"\textbf{never closed and {\em neither") == "never closed and neither"
    assert html(r"\emph{a} \textbf{b") == "<em>a</em> b"
    assert plain_text("to enhance} mechanistic interpretability") == "to enhance mechanistic interpretability"
    assert plain_text("each component of the NILE}framework") == "each component of the NILE framework"
    assert plain_text(r"the set \{0, 1\} and {a}") == "the set {0, 1} and a"


# --- escaping -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("R&D <b>bold</b>", "R&amp;D &lt;b&gt;bold&lt;/b&gt;"),
        ("\"quoted\" and 'single'", "&#34;quoted&#34; and &#39;single&#39;"),
        ("*PO", "*PO"),
        ("&amp; stays text", "&amp;amp; stays text"),
    ],
)
def test_everything_is_escaped(source, expected):
    rendered = abstract_html(source)
    assert isinstance(rendered, Markup)
    assert str(rendered) == expected
    assert plain_text(source) == source


# --- links --------------------------------------------------------------------------------------


def test_http_and_https_urls_become_safe_links():
    rendered = html("see http://example.org/a and https://example.com/b?x=1&y=2 now")
    assert rendered == (
        'see <a href="http://example.org/a" rel="noreferrer">http://example.org/a</a> and '
        '<a href="https://example.com/b?x=1&amp;y=2" rel="noreferrer">'
        "https://example.com/b?x=1&amp;y=2</a> now"
    )


@pytest.mark.parametrize(
    "source",
    ["javascript:alert(1)", "JaVaScRiPt:alert(document.cookie)", "data:text/html,<script>x</script>",
     "data:text/html;base64,PHNjcmlwdD4=", "vbscript:msgbox", "ftp://example.org/file", "mailto:a@b.org"],
)
def test_other_schemes_are_never_linked(source):
    rendered = html(f"try {source} here")
    assert "<a" not in rendered
    assert visible_text(rendered) == f"try {source} here"


def test_a_non_http_link_next_to_an_http_one_stays_unlinked():
    # linkify reads "ftp://f.org/,http://example.com" as one ftp link, which is not linked
    rendered = html("mail mailto:a@b.org,https://example.org/x or ftp://f.org/,http://example.com")
    hrefs = [attrs["href"] for tag, attrs in parse(rendered).tags if tag == "a"]
    assert hrefs == ["https://example.org/x"]
    assert "ftp://f.org/,http://example.com" in visible_text(rendered)


def test_trailing_punctuation_stays_outside_the_link():
    source = seed_line_containing("https://aka.ms/icl.")
    assert '<a href="https://aka.ms/icl" rel="noreferrer">https://aka.ms/icl</a>.' in html(source)
    source = seed_line_containing("(https://github.com/hamishivi/EasyLM)")
    assert (
        '(<a href="https://github.com/hamishivi/EasyLM" rel="noreferrer">'
        "https://github.com/hamishivi/EasyLM</a>)"
    ) in html(source)


def test_fragments_inside_a_url_are_left_alone():
    assert html("at http://example.org/~user/a~b now") == (
        'at <a href="http://example.org/~user/a~b" rel="noreferrer">'
        "http://example.org/~user/a~b</a> now"
    )


def test_an_href_is_percent_encoded_for_the_validator_but_the_link_text_is_not():
    rendered = html("code at https://example.org/a|b{c} x")
    assert 'href="https://example.org/a%7Cb%7Bc%7D"' in rendered
    assert ">https://example.org/a|b{c}</a>" in rendered


def test_page_links_and_papers_json_links_agree_on_every_seed():
    for abstract in seed_abstracts():
        parsed = parse(html(abstract))
        hrefs = [attrs["href"] for tag, attrs in parsed.tags if tag == "a"]
        assert list(dict.fromkeys(hrefs)) == [normalizeLink(url) for url in find_links(abstract)]


def test_find_links_keeps_its_behaviour():
    text = "Code: https://github.com/a/b. Data (https://b-61j.pages.dev/d/e), again https://github.com/a/b"
    assert find_links(text) == ("https://github.com/a/b", "https://b-61j.pages.dev/d/e")
    assert find_links("see model.py and www.example.org and javascript:alert(1)") == ()


# --- nothing lost, nothing added ----------------------------------------------------------------


def letters(text: str) -> str:
    """The letters of a text, compatibility forms folded and accents dropped (x\u00b2 is x2)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isalpha() and not unicodedata.combining(ch)).casefold()


def test_no_word_is_lost_in_any_seed_abstract():
    for abstract in seed_abstracts():
        # read as a page is: a formula's letters sit in their own elements (rho, then BL set lower)
        assert lost_words("", abstract, page_text(html(abstract))) == set(), abstract[:80]
        assert lost_words("", abstract, plain_text(abstract)) == set(), abstract[:80]


def test_nothing_is_added_to_a_seed_abstract_but_resolved_names():
    """Every letter shown comes from the abstract, once its commands are read: a reader never
    sees text the listing did not give (abbreviations spelled out are the one addition)."""
    for abstract in seed_abstracts():
        shown = letters(plain_text(abstract))
        source = letters(re.sub(r"\\[A-Za-z]+", "", abstract))
        assert len(shown) <= len(source) + 8 * abstract.count("\\"), abstract[:80]


def test_what_a_reader_sees_is_the_plain_text_for_every_seed_abstract_without_math():
    for abstract in seed_abstracts():
        if "<math" not in html(abstract) and 'class="math"' not in html(abstract):
            assert visible_text(html(abstract)) == plain_text(abstract)


def test_seed_abstracts_without_fragments_or_links_are_only_escaped():
    # fragments include scripts that lost their dollars (D^2O, L_0) and braces TeX drops
    plain = [a for a in seed_abstracts() if not re.search(r"[\\`~${]|[_^]\{|\w\^\d|[A-Za-z]_\d|https?://", a)]
    assert len(plain) > 100
    for abstract in plain:
        assert visible_text(html(abstract)) == abstract == plain_text(abstract)


def test_every_seed_abstract_renders_only_allowed_markup():
    for abstract in seed_abstracts():
        assert markup_problems(html(abstract)) == []


# --- excerpts -----------------------------------------------------------------------------------


def test_excerpt_cuts_at_a_word_boundary_with_an_ellipsis():
    source = seed_line_containing(r"\textbf{D}irect Preference Learning")
    short = excerpt(source)
    assert len(short) <= 160 and short.endswith("\u2026")
    assert plain_text(source).startswith(short[:-1])
    assert plain_text(source)[len(short) - 1] == " "  # the cut fell between words
    assert excerpt(source, limit=30) == "Direct preference learning\u2026"


def test_excerpt_keeps_short_texts_whole_and_cuts_one_huge_word():
    assert excerpt(r"Gains of 5\% only.") == "Gains of 5% only."
    assert excerpt("x" * 500, limit=20) == "x" * 19 + "\u2026"
    assert excerpt("one two, three", limit=10) == "one two\u2026"


# --- the real validator -------------------------------------------------------------------------

TRICKY_MATH = [
    r"$\mathbb{R}^{m\times n}$ $\left(\frac12\right)$ $\overline{x}\hat{y}\sqrt[3]{z}$ $\binom{n}{k}$",
    r"$\begin{matrix}a&b\\c&d\end{matrix}$ $\not=$ $\boldsymbol{x}\cancel{x}$ $\mathrm{d}x \, \quad a$",
    r"$\sum_{i=1}^n x_i \int_0^1 \lim_{x\to 0}$ $\underbrace{x}_{n}$ $\overset{!}{=}$ $\xrightarrow{a}$",
    r"$\begin{array}{lc|r}a&b&c\\\hline d&e&f\end{array}$ $\limits$ $\mathop{x}$ $\displaystyle\frac ab$",
    "<script>alert(1)</script> https://example.com/a|b^c{d}%zz https://b\u00fccher.de/x \x00\x0c\ud800\ufdd0",
]


def test_rendered_abstracts_are_valid_html5_for_the_w3c_validator(tmp_path):
    from site_build import vnu_jar

    jar, java = vnu_jar(), shutil.which("java")
    body = "\n".join(f"<p>{abstract_html(text)}</p>" for text in seed_abstracts() + TRICKY_MATH)
    page = tmp_path / "abstracts.html"
    page.write_text(
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Abstracts</title></head>'
        f"<body>{body}</body></html>",
        encoding="utf-8",
    )
    result = subprocess.run(
        [java, "-jar", str(jar), "--errors-only", "--format", "text", str(page)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "<math" in body and "<code" in body  # both the MathML and the fallback were checked
