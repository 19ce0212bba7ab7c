"""The one home of text policy: titles and abstracts as HTML or plain text, and the links they hold.

A title and an abstract go through the same policy; only the writers differ. HTML (`title_html`,
`abstract_html`) goes where markup is allowed; plain text (`title_text`, `plain_text`) goes where
it is not: <title>, meta tags, feeds, sort keys, ids. Policy, in the order it is applied:

1. Unsafe code points become U+FFFD: C0 controls other than tab, LF and CR; DEL and the C1
   controls; lone surrogates; and Unicode noncharacters. HTML5 and XML 1.0 forbid them, and a
   visible replacement character loses less than deleting them would.
2. Repairs of what the listing lost on the way: a command's backslash (``textbf{..}``, ``emph{..}``,
   ``href{URL}{..}``, and a colour name before a brace, ``teal{..}``, as ``\\textcolor``) is given
   back; ``\\footnote{X}`` becomes the aside `` (X)`` where its mark stands; a text command whose
   braces hold a link keeps only its text (links are cut out before the fragments are read); a
   brace that pairs with no other is dropped (between two letters it reads as a space).
3. Links: LaTeX links (``\\url{...}``, ``\\href{URL}{text}``) and bare http(s) URLs (found by the one
   linkify matcher) are links, in a page and in `papers.json` alike. ``\\_``-style escapes inside a
   URL are undone first (``SDXL\\_NCP-DPO`` is ``SDXL_NCP-DPO``). A bare link's text is kept as written.
4. Maths is ``$...$``, ``$$...$$``, ``\\(...\\)`` or ``\\[...\\]``: MathML in HTML (latex2mathml), readable
   characters in plain text (``$\\tau$`` is ``τ``, ``\\nabla^2`` is ``∇²``, ``L_2`` is ``L₂``). A dollar
   that cannot open or close a formula is a dollar sign: one followed by a space or a digit
   closing, one after a backslash (``\\$OneMillion-Bench``), a lone one (``in $200k``, ``for 1$``),
   and one before an amount of money (``$200k``, ``$5``) even when a later dollar could close it,
   or (``$0.1.``, ``$0.1/page``) when the closing dollar lies past a sentence's end or far away.
   A dollar left after a word (``{Webpage}$``) closes a formula whose opening was lost: dropped;
   so are the dollars around a link (``$\\href{URL}{Webpage}$``). A sub- or superscript that lost
   its dollars is maths too: ``n^{1+o(1)}``, ``R^\\textbf{2AI}``, ``5\\textsuperscript{th}`` and
   ``O(T^K)`` and ``UV^top`` are formulas on an empty base; ``ZS^2``, ``W^+``, ``360^circ`` and
   ``L_0`` are ``ZS²``, ``W⁺``, ``360°``, ``L₀``.
5. Outside maths, LaTeX text commands are resolved: ``\\textbf``/``\\emph``/``{\\it ...}`` become
   strong and em, ``\\textsc``, ``\\texttt``, ``\\color{..}{..}`` and the like keep only their text,
   abbreviations (``\\eg``, ``\\etal``) are spelled out, symbols (``\\times``, ``\\i``, accents,
   Greek letters) become characters (latex2mathml's and pylatexenc's tables), TeX quotes become
   curly quotes and ``~`` ties non-breaking spaces. Braces TeX drops go too: ``{\\deg}``, ``{times}``
   and ``GPT-{n}`` read ``°``, ``×``, ``GPT-n``.
6. A command nobody defines outside its paper (``\\ours``, ``\\method``, ``\\ModelName``) is an
   authors' macro. A reader sees its name without the backslash: the name is the authors' own
   shorthand (usually for their system) and the only hint of it the listing gives, so dropping it
   would leave a hole in the sentence, and showing the backslash would show markup. `author_macros`
   names them, so the build can list the papers that use them once.

Anything else (markdown stars such as ``*PO``, angle brackets such as ``<think>``) is text, never
markup: everything is escaped as it is written out.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from html import unescape

import logging

from latex2mathml.converter import convert_to_element
from latex2mathml.symbols_parser import convert_symbol
from linkify_it import LinkifyIt
from markdown_it.common.normalize_url import normalizeLink
from markupsafe import Markup, escape

# Only explicit web links count: fuzzy matches such as `model.py` are not URLs.
_LINKIFY = LinkifyIt(options={"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False})
SAFE_SCHEMES = ("http://", "https://")
EXTERNAL_REL = "noreferrer"
"""The rel of every link to another site, here and in the templates (`external_rel`) and
site.js: no Referer is sent, and `noreferrer` implies `noopener`."""

NBSP = "\u00a0"
REPLACEMENT = "\ufffd"

_NONCHARACTERS = "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
)
# Two classes: one holding astral characters makes the regex engine ~15x slower on every text.
_UNSAFE_BMP_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_UNSAFE_ASTRAL_CHARS = re.compile("[" + _NONCHARACTERS[2:] + "]")

# Characters that can start a fragment; an abstract without any of them needs no fragment pass.
_FRAGMENT_TRIGGERS = re.compile(r"[\\`~$_^{]")
# linkify's schema search costs ~400 us on a typical abstract, so it only sees the
# whitespace-delimited run around each "http(s)://": a link never spans whitespace (fuzzy
# matching is off), and the whole run is given so that an earlier link in it (an ftp:// one
# that swallows the http) is seen as on the whole text. Runs are looked into at most
# MAX_URL_LENGTH characters either side of the scheme.
_HTTP_SCHEME = re.compile(r"https?://", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s")
# A "URL" longer than this is not linked: linkify takes seconds on megabyte-long runs, and no
# browser or server handles such links anyway.
MAX_URL_LENGTH = 4096

_GREEK_NAMES = (
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi "
    "pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega "
    "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega"
).split()
# The same letters latex2mathml uses inside math, so text and math agree.
GREEK = {name: chr(int(convert_symbol("\\" + name), 16)) for name in _GREEK_NAMES}

_ESCAPED_CHARS = "%&_#${}"
_ACCENTS = {"'": "\u0301", "`": "\u0300", '"': "\u0308", "^": "\u0302", "~": "\u0303", "=": "\u0304",
            ".": "\u0307", "v": "\u030c", "u": "\u0306", "c": "\u0327", "H": "\u030b", "k": "\u0328",
            "r": "\u030a"}
# Commands that take one braced argument and show it: the tag it is shown in ("" for none).
_GROUP_TAGS = {
    "textbf": "strong", "mathbf": "strong", "boldsymbol": "strong", "bm": "strong",
    "textit": "em", "emph": "em", "textsl": "em", "mathit": "em",
    **dict.fromkeys("textsc texttt textrm textsf textup textmd textnormal text mbox hbox underline "
                    "uline mathrm mathsf mathtt mathcal mathbb mathscr mathfrak operatorname ensuremath "
                    "footnote".split(), ""),
}
# Declarations that apply to the rest of their braces: {\it vs.}, {\bf x}, {\sc x}.
_SWITCH_TAGS = {"bf": "strong", "em": "em", "it": "em", "sl": "em",
                **dict.fromkeys("sc tt rm sf small large Large normalsize footnotesize scriptsize".split(), "")}
# Commands whose text is ours to decide: abbreviations macro packages define, spacing, and names.
_COMMAND_TEXT = {
    "eg": "e.g.", "ie": "i.e.", "etal": "et al.", "etc": "etc.", "vs": "vs.", "wrt": "w.r.t.",
    "cf": "cf.", "resp": "resp.", "aka": "a.k.a.", "deg": "°", "degree": "°", "textdegree": "°",
    "LaTeX": "LaTeX", "TeX": "TeX", "textasciitilde": "~", "textbackslash": "\\",
    "allowbreak": "", "xspace": "", "relax": "", "noindent": "", "centering": "", "hfill": " ",
    "linebreak": " ", "newline": " ", "par": " ", "quad": " ", "qquad": " ", "smallskip": " ",
    "medskip": " ", "bigskip": " ", "break": " ",
    **dict.fromkeys(_SWITCH_TAGS, ""), **dict.fromkeys(_GROUP_TAGS, ""),
    **dict.fromkeys("color textcolor url href".split(), ""),
}
_SPACING_CHARS = {",": " ", ";": " ", ":": " ", " ": " ", "!": ""}
# Symbols whose backslash a listing lost inside braces (`7{times} faster`, `{sim}20%`).
_BARE_SYMBOLS = ("times", "sim", "approx", "pm", "cdot", "leq", "geq", "neq", "infty", "deg", "circ",
                 "ldots", "cdots", "dots", "rightarrow", "leftarrow")
_MATH_LIMIT = 2000  # longer "math" is almost surely two stray dollars; left as text

_GREEK_ALTERNATION = "|".join(sorted(_GREEK_NAMES, key=len, reverse=True))
_GROUP_ALTERNATION = "|".join(sorted(_GROUP_TAGS, key=len, reverse=True))
_SWITCH_ALTERNATION = "|".join(sorted(_SWITCH_TAGS, key=len, reverse=True))
_FRAGMENT = re.compile(
    r"""
      \\\((?P<paren_math>(?:(?!\\\().){1,%(limit)d}?)\\\)      # \( math \), stopping at the next \(
    | \\\[(?P<bracket_math>(?:(?!\\\[).){1,%(limit)d}?)\\\]    # \[ math \]
    | \$\$(?P<display_math>[^$]{1,%(limit)d}?)\$\$             # $$ math $$
    | \$(?<![\\$]\$)(?![\s$])(?!\d[\d.,]*[kKmMbB]?(?:[\s;:!?)]|[.,](?!\d)|$))       # not money: $200k, $5
      (?P<dollar_math>[^$]{1,%(limit)d}?)(?<![\s\\])\$(?![\d$])                      # $math$
    | (?<=[A-Za-z}])(?P<stray_dollar>\$)(?![\w$])   # Webpage$: a closing dollar whose opening one was lost
    | \\(?P<command_group>%(groups)s)\s?\{                   # \textbf{ ... }
    | \\(?P<color_group>(?:text)?color)\{[^{}]{0,40}\}\s?\{   # \color{red}{ ... }
    | \\(?P<color_switch>color)\{[^{}]{0,40}\}                # \color{red} alone
    | \{\\(?P<switch_group>%(switches)s)(?![A-Za-z])\s*        # {\em ... }
    | \{\\(?P<braced_greek>%(greek)s)\}                        # {\tau}
    | \{\\(?P<braced_command>[A-Za-z]+)\}                      # {\deg}, {\ours}
    | (?<![A-Za-z\\])\{(?P<bare_symbol>%(bare_symbols)s)\}       # {times}, {sim}: a symbol that lost its backslash
    | (?<![A-Za-z\\])\{(?P<bare_group>[A-Za-z][\w-]{0,40})\}     # GPT-{n}, {name}: braces TeX drops
    | (?<=[A-Za-z0-9)}])\^(?P<bare_power>\d{1,3}(?!\d|[.,]\d)|\+|\\?circ(?![A-Za-z]))  # ZS^2, O(L^2), W^+, 360^circ
    | (?<=[A-Za-z0-9)}])\^(?P<bare_letter>[A-Za-z*]|top)(?![A-Za-z0-9])    # O(T^K), pass^k, Q^*, UV^top
    | (?<![\w\\][A-Za-z])(?<=[A-Za-z])_(?P<bare_index>\d)(?!\w|\.\d)         # L_0, o_0: one letter, one digit
    | \\(?P<greek>%(greek)s)(?![A-Za-z])                       # \tau
    | \{\\(?P<braced_accent>['`"^~=.](?:[A-Za-z]|\\i(?![A-Za-z])|\{(?:[A-Za-z]|\\i)\}))\}  # {\'a}
    | \\(?P<accent>['`"^~=.](?:[A-Za-z]|\\i(?![A-Za-z])(?:\{\})?|\{(?:[A-Za-z]|\\i)\}))  # \'a \'{a} \'\i
    | \\(?P<letter_accent>[vucHkr])\{(?:[A-Za-z]|\\i)\}        # \v{c}
    | \\(?P<escaped>[%(escaped)s])                             # escaped percent, ampersand, ...
    | (?P<line_break>\\\\)                                     # \\ (a forced line break)
    | \\(?P<spacing>[,;:! ])                                   # \, \; \! \<space>
    | (?:(?<=[^\s$])(?P<script>[_^])(?:\\(?P<script_style>%(groups)s)\s?)?   # x^{2} or p_{gen} that lost its
       | \\text(?P<script_word>super|sub)script)                            # dollars, R^\textbf{2AI}, 5\textsuperscript{th}
      \{(?P<script_body>(?:[^{}$]|\{[^{}$]{0,100}\}){1,200})\}
    | \\(?P<command>[A-Za-z]+)\*?(?:\{\})?                     # any other command: \eg \times \ours
    | (?P<open_double>``)(?=[^`]{1,500}?(?:''|"))              # ``quoted'' or ``quoted"
    | (?P<close_double>''|")
    | (?P<open_single>`)(?<!``)(?=(?:[^`']|'(?=\w)){0,200}?\w'(?!\w))        # `quoted'
    | (?P<close_single>')(?!\w)
    | (?P<tie>~)(?<=[^\s~]~)(?=[^\s~])                          # word~word
    """  # every branch starts with a _FRAGMENT_START character; each scan stops at its next opener
    % {"limit": _MATH_LIMIT, "greek": _GREEK_ALTERNATION, "escaped": re.escape(_ESCAPED_CHARS),
       "bare_symbols": "|".join(_BARE_SYMBOLS),
       "groups": _GROUP_ALTERNATION, "switches": _SWITCH_ALTERNATION},
    re.VERBOSE | re.DOTALL,
)
# The alternation above defeats the regex engine's own skip-ahead (~25x slower than a class
# scan), so candidates are found with this class first and the alternation is tried there.
_FRAGMENT_START = re.compile(r"[\\$`'\"~{_^]")
_BRACE = re.compile(r"\\.|[{}]", re.DOTALL)

# Links written as LaTeX; their URL must be http(s) to become a link.
# An \href whose backslash and braces were lost on the way (`https://x.org/y{this URL}`) is the
# same link: a braced label right after a URL is its text, when it reads as one (a URL, a
# capitalised word, or words), not as part of the URL (`.../a{c}`).
# A link written inside a formula's dollars (`$\\href{URL}{Webpage}$`) takes its dollars with it.
_LATEX_LINK = re.compile(
    r"(?P<dollar>\$)?(?:"
    r"\\url\{\s*(?P<url>[^\s{}]{1,%(max)d})\s*\}"
    r"|\\href\{\s*(?P<href>[^\s{}]{1,%(max)d})\s*\}\{(?P<label>[^{}]{0,500})\}"
    r"|(?<![\w{])(?P<bare>https?://[^\s{}]{1,%(max)d})\{(?P<bare_label>https?://[^{}]{1,500}|[A-Z][^{}]{1,500}|[^{}]{0,500}\s[^{}]{0,500})\})"
    r"(?(dollar)\$|(?:\$(?!\w))?)"  # and a closing one alone, left by a lost opening one
    % {"max": 4096}, re.IGNORECASE
)
# Escapes authors put inside URLs (TeX needs them, a browser does not): undone in any run of
# non-space characters that holds a scheme.
_URL_RUN = re.compile(r"\S*https?://\S*", re.IGNORECASE)
_URL_ESCAPE = re.compile(r"\\([_%&#~])")

# Tokens: what a fragment pass produces and both writers consume.
TEXT, OPEN, CLOSE, LINK, MATH, MACRO = "text", "open", "close", "link", "math", "macro"


def sanitize(text: str) -> str:
    """The text with every code point HTML5 and XML forbid replaced by U+FFFD (see module doc)."""
    if text.isprintable():  # fast path: controls, surrogates and noncharacters are unprintable
        return text
    text = _UNSAFE_BMP_CHARS.sub(REPLACEMENT, text)
    if not text.isascii() and max(text) > "\uffff":
        text = _UNSAFE_ASTRAL_CHARS.sub(REPLACEMENT, text)
    return text


def _link_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, url) of each http(s) link in the text, in order."""
    spans: list[tuple[int, int, str]] = []
    if "://" not in text:  # a plain substring test is ~50x faster than the case-blind regex
        return spans
    position = 0
    while scheme := _HTTP_SCHEME.search(text, position):
        space = _WHITESPACE.search(text, scheme.end())
        end = space.start() if space else len(text)
        before = text[max(position, scheme.start() - MAX_URL_LENGTH) : scheme.start()]
        last_space = _WHITESPACE.search(before[::-1])  # reversed: the nearest whitespace first
        offset = scheme.start() - (last_space.start() if last_space else len(before))
        position = end
        if end - scheme.start() > MAX_URL_LENGTH:
            continue
        spans.extend(
            (offset + match.index, offset + match.last_index, match.url)
            for match in _LINKIFY.match(text[offset:end]) or ()
            if match.url.lower().startswith(SAFE_SCHEMES)
        )
    return spans


def find_links(text: str) -> tuple[str, ...]:
    """The http(s) URLs in a text (LaTeX links and bare ones), in order of appearance, without duplicates."""
    found: list[str] = []
    text = _prepared(text)
    for start, end, url, _ in _latex_link_spans(text):
        if url is not None:
            found.append(url)
        else:
            found.extend(link for _, _, link in _link_spans(text[start:end]))
    return tuple(dict.fromkeys(found))


def abstract_html(text: str) -> Markup:
    """An abstract as HTML for reading: escaped, LaTeX fragments resolved, math as MathML, links linked."""
    return _html(_tokens(text), link=True)


# A title without any of these is shown as written: most titles, on every list they appear in.
_TITLE_TRIGGERS = re.compile(r"[\\`'\"~{}$^_]|://|[^\S ]|  ")


@lru_cache(maxsize=65536)
def title_html(title: str) -> Markup:
    """A title as inline HTML: the abstract's policy, but URLs stay text, since a title often sits
    inside a link (lists, related papers) and links do not nest."""
    if not _TITLE_TRIGGERS.search(title) and title.isprintable():
        return escape(title)
    return _html(_tokens(title), link=False)


def _html(tokens: list[tuple], link: bool) -> Markup:
    parts: list[str] = []
    for token in tokens:
        kind = token[0]
        if kind == TEXT or kind == MACRO:
            parts.append(escape(token[1]))
        elif kind == OPEN:
            parts.append(f"<{token[1]}>")
        elif kind == CLOSE:
            parts.append(f"</{token[1]}>")
        elif kind == LINK:
            parts.append(
                f'<a href="{escape(normalizeLink(token[2]))}" rel="{EXTERNAL_REL}">{escape(token[1])}</a>'
                if link else escape(token[1])
            )
        else:
            parts.append(_math_html(token[1]))
    return Markup("".join(parts))


@lru_cache(maxsize=65536)  # papers.json and the search vocabulary both ask for every abstract
def plain_text(text: str) -> str:
    """An abstract as plain text: the same cleanup as `abstract_html`, with math as readable characters."""
    parts: list[str] = []
    for token in _tokens(text):
        kind = token[0]
        if kind == TEXT or kind == LINK or kind == MACRO:
            parts.append(token[1])
        elif kind == MATH:
            parts.append(_math_plain(token[1]))
    return "".join(parts)


@lru_cache(maxsize=65536)
def title_text(title: str) -> str:
    """A title as one line of plain text (for <title>, meta tags, feeds, sort keys, ids)."""
    if not _TITLE_TRIGGERS.search(title) and title.isprintable():
        return title.strip()
    return _ASCII_SPACE_RUN.sub(" ", plain_text(title)).strip()


# A title holding neither marks LaTeX: its id is made from it as listed, as it always was.
_LATEX_MARK = re.compile(r"[\\$]")


def id_text(title: str) -> str:
    """The text a paper's id and merge key are made from: the plain title, spoken (`tau-bench`),
    when the title holds LaTeX, so no command name or `$` reaches a permalink; else the title as
    listed, so ids of titles without LaTeX never change."""
    if not _has_latex(title):
        return title
    return spoken(title_text(title)) or title


def author_macros(text: str) -> tuple[str, ...]:
    """The authors' own macros a text uses (``\\ours``, in maths too), in order, without duplicates."""
    names: list[str] = []
    if "\\" not in text:  # a macro is a command
        return ()
    for token in _tokens(text):
        if token[0] == MACRO:
            names.append(token[2])
        elif token[0] == MATH:
            names.extend(_math_macros(token[1]))
    return tuple(dict.fromkeys(names))


_ASCII_SPACE_RUN = re.compile(r"[ \t\r\n]+")
_TRAILING_PUNCTUATION = ",;:([{-"


def excerpt(text: str, limit: int = 160) -> str:
    """The opening of an abstract's plain text, at most `limit` characters, cut at a word boundary with "…"."""
    return shorten(plain_text(text), limit)


def shorten(plain: str, limit: int = 160) -> str:
    """`excerpt` for text that is already plain: spaces folded, cut at a word boundary with "…"."""
    # Folding spaces only shortens, so a bounded head is enough unless it folds below the limit.
    head = plain[: 4 * limit + 1]
    folded = _ASCII_SPACE_RUN.sub(" ", head).strip()
    if len(folded) <= limit and len(head) < len(plain):
        folded = _ASCII_SPACE_RUN.sub(" ", plain).strip()
    if len(folded) <= limit:
        return folded
    room = folded[: max(limit - 1, 0) + 1]  # one character more, to see whether a word ends there
    cut = room.rfind(" ")
    head = room[:cut] if cut > 0 else room[: max(limit - 1, 0)]  # one huge word: cut inside it
    return head.rstrip(" " + _TRAILING_PUNCTUATION) + "…"


# --- tokens -------------------------------------------------------------------------------------


def _prepared(text: str) -> str:
    """The text as the fragment pass and the link finder read it: sanitized, URLs unescaped,
    lost backslashes given back, footnotes as asides, groups around links unwrapped, stray braces
    dropped."""
    return _drop_stray_braces(_unwrap_link_groups(_asides(_restore_backslashes(_unescape_urls(sanitize(text))))))


def _tokens(text: str) -> list[tuple]:
    """A text as a flat token list: text runs, group opens/closes, links, math and authors' macros."""
    text = _prepared(text)
    tokens: list[tuple] = []
    for start, end, url, label in _latex_link_spans(text):
        if url is not None:
            tokens.append((LINK, label, url))
            continue
        stretch = text[start:end]
        position = 0
        for link_start, link_end, link_url in _link_spans(stretch):
            _fragment_tokens(stretch[position:link_start], tokens)
            tokens.append((LINK, stretch[link_start:link_end], link_url))
            position = link_end
        _fragment_tokens(stretch[position:], tokens)
    return tokens


# A command whose backslash was lost on the way (`textit{O}bstacles`, `$textbf{x}$`,
# `R^textbf{2AI}`, `href{https://..}{..}`): no prose writes `textbf{`, so the backslash is given
# back. Only the unmistakable names count: long text and maths styles, `emph`, the rest below.
_BARE_NAMES = sorted({name for name in _GROUP_TAGS if name.startswith(("text", "math")) and len(name) > 5}
                     | {"emph", "underline", "footnote", "boldsymbol", "operatorname", "textsuperscript",
                        "textsubscript"}, key=len, reverse=True)
_BARE_TEXT_COMMAND = re.compile(
    r"(?<![\\A-Za-z])(?=(?:%s)\{|(?:href|url)\{\s*https?://)" % "|".join(_BARE_NAMES))
# A colour name right before a brace is a colour command that lost its backslash and its
# `\textcolor` (`teal{Tool-use}`): read as `\textcolor{teal}{Tool-use}`, its text kept.
_BARE_COLOR = re.compile(
    r"(?<![\\A-Za-z])(red|green|blue|cyan|magenta|yellow|black|gray|grey|white|brown|lime|olive|orange|"
    r"pink|purple|teal|violet)\{(?=[^{}]*\})")


def _restore_backslashes(text: str) -> str:
    if "{" not in text:
        return text
    return _BARE_COLOR.sub(r"\\textcolor{\1}{", _BARE_TEXT_COMMAND.sub("\\\\", text))


def _has_latex(text: str) -> bool:
    """Whether a title holds LaTeX: a backslash, a dollar, or a command that lost its backslash."""
    return bool(_LATEX_MARK.search(text) or "{" in text and (_BARE_TEXT_COMMAND.search(text)
                                                            or _BARE_COLOR.search(text)))


_ASIDE = re.compile(r"\s*\\footnote\s?\{")


def _asides(text: str) -> str:
    """Each `\\footnote{..}` as an aside in parentheses where its mark stands: `data\\footnote{See
    X.}.` is `data (See X.).` An unclosed one is left to the fragment pass."""
    if "\\footnote" not in text:
        return text
    braces = _matching_braces(text)
    parts: list[str] = []
    position = 0
    for match in _ASIDE.finditer(text):
        close = braces.get(match.end() - 1)
        if match.start() < position or close is None:
            continue
        body = text[match.end():close].strip()
        parts.append(text[position:match.start()] + (f" ({body})" if body else ""))
        position = close + 1
    return "".join(parts) + text[position:]


def _drop_stray_braces(text: str) -> str:
    """The text without braces that pair with none (`to enhance} mechanistic`, `NILE}framework`):
    what is left of a group whose other half the listing lost, which TeX would have refused."""
    if "{" not in text and "}" not in text:
        return text
    braces = _matching_braces(text)
    paired = set(braces) | set(braces.values())
    stray = {match.start() for match in _BRACE.finditer(text) if match.group() in "{}" and match.start() not in paired}
    if not stray:
        return text
    parts: list[str] = []
    start = 0
    for index in sorted(stray):
        parts.append(text[start:index])
        # between two letters it stood where a space reads (`\\textsc{NILE}\\ framework`)
        if 0 < index < len(text) - 1 and text[index - 1].isalpha() and text[index + 1].isalpha():
            parts.append(" ")
        start = index + 1
    return "".join(parts) + text[start:]


_GROUP_OPENER = re.compile(r"\\(?:(?:%s)|(?:text)?color\{[^{}]{0,40}\})\s?\{" % _GROUP_ALTERNATION)


def _unwrap_link_groups(text: str) -> str:
    """Text commands whose braces hold a link keep their text only: links are cut out before the
    fragment pass, and a group's braces must close inside one stretch between links."""
    if "://" not in text or "{" not in text:
        return text
    braces = _matching_braces(text)
    dropped: set[int] = set()
    for match in _GROUP_OPENER.finditer(text):
        close = braces.get(match.end() - 1)
        if close is not None and "://" in text[match.end():close]:
            dropped.update(range(match.start(), match.end()))
            dropped.add(close)
    if not dropped:
        return text
    return "".join(char for index, char in enumerate(text) if index not in dropped)


def _unescape_urls(text: str) -> str:
    if "://" not in text or "\\" not in text:
        return text
    return _URL_RUN.sub(lambda run: _URL_ESCAPE.sub(r"\1", run.group()), text)


def _latex_link_spans(text: str) -> list[tuple[int, int, str | None, str]]:
    """The text cut at its LaTeX links: (start, end, url, label) for a link, (start, end, None, "")
    for the stretches between them (which may hold bare links)."""
    spans: list[tuple[int, int, str | None, str]] = []
    position = 0
    if "\\url{" in text or "\\href{" in text or ("://" in text and "{" in text):
        for match in _LATEX_LINK.finditer(text):
            url = match["url"] or match["href"] or match["bare"]
            if not url.lower().startswith(SAFE_SCHEMES):
                continue
            if match.start() > position:
                spans.append((position, match.start(), None, ""))
            label = match["url"] or plain_text(match["label"] or match["bare_label"] or "").strip() or url
            spans.append((match.start(), match.end(), url, label))
            position = match.end()
    if position < len(text) or not spans:
        spans.append((position, len(text), None, ""))
    return spans


def _fragment_tokens(text: str, tokens: list[tuple]) -> None:
    """Resolve the LaTeX fragments of a link-free stretch of text into tokens.

    Groups must close inside the stretch: their closing brace is found by brace matching, and
    a group whose brace never closes is left as written. A stack of closing positions (not
    recursion) keeps deeply nested input from overflowing the call stack, and makes every
    open tag close before its parent does.
    """
    if not text:
        return
    if not _FRAGMENT_TRIGGERS.search(text):
        tokens.append((TEXT, text))
        return
    closers: list[tuple[int, str]] = []  # (index of the closing brace, tag), innermost last
    braces: dict[int, int] | None = None
    position = 0
    # Quote pairing is per group level: a quote opened inside \emph{...} closes inside it.
    quotes: list[list[bool]] = [[False, False]]  # [double open, single open]
    buffer: list[str] = []
    while True:
        limit = closers[-1][0] if closers else len(text)
        match = _next_fragment(text, position, limit)
        if match is None:
            buffer.append(text[position:limit])
            if not closers:
                break
            tag = closers.pop()[1]
            if tag:
                _flush(buffer, tokens)
                tokens.append((CLOSE, tag))
            quotes.pop()
            position = limit + 1
            continue
        buffer.append(text[position : match.start()])
        position = match.end()
        kind = match.lastgroup
        open_quotes = quotes[-1]
        if kind == "dollar_math" and _is_money(text, match):
            buffer.append("$")
            position = match.start() + 1
        elif kind in ("paren_math", "bracket_math", "display_math", "dollar_math"):
            _flush(buffer, tokens)
            tokens.append((MATH, match.group(kind)))
        elif kind in ("command_group", "color_group", "switch_group"):
            brace = match.end() - 1 if kind != "switch_group" else match.start()
            if braces is None:
                braces = _matching_braces(text)
            close = braces.get(brace)
            if close is None or close > limit:
                buffer.append(match.group())
                continue
            tag = _SWITCH_TAGS[match.group(kind)] if kind == "switch_group" else _GROUP_TAGS.get(match.group(kind), "")
            if tag:
                _flush(buffer, tokens)
                tokens.append((OPEN, tag))
            closers.append((close, tag))
            quotes.append([False, False])
        elif kind == "color_switch" or kind == "stray_dollar":
            pass
        elif kind == "braced_greek" or kind == "greek":
            buffer.append(GREEK[match.group(kind)])
        elif kind == "braced_command":
            _command_tokens(match.group(kind), buffer, tokens)
        elif kind == "bare_symbol":
            buffer.append(_command_text(match.group(kind)))
        elif kind == "bare_group":
            buffer.append(match.group(kind))
        elif kind == "bare_power":
            power = match.group(kind)
            buffer.append("°" if power.endswith("circ") else "".join(_SUPERSCRIPTS[digit] for digit in power))
        elif kind == "bare_letter":
            _flush(buffer, tokens)
            letter = match.group(kind)
            tokens.append((MATH, "{}^{%s}" % ("\\top" if letter == "top" else letter)))
        elif kind == "bare_index":
            buffer.append(_SUBSCRIPTS[match.group(kind)])
        elif kind in ("braced_accent", "accent", "letter_accent"):
            body = match.group(kind) if kind != "letter_accent" else match.group()[1:]
            accent = body[0]
            letter = body[1:].replace("{}", "").strip("{}").replace("\\i", "i")
            buffer.append(unicodedata.normalize("NFC", letter + _ACCENTS[accent]))
        elif kind == "escaped":
            buffer.append(match.group(kind))
        elif kind == "line_break":
            buffer.append(" ")
        elif kind == "spacing":
            buffer.append(_SPACING_CHARS[match.group(kind)])
        elif kind == "script_body":  # the inner group is the last to close
            _flush(buffer, tokens)
            tokens.append((MATH, _script_source(match)))
        elif kind == "command":
            if not _command_tokens(match.group(kind), buffer, tokens):
                # TeX skips the spaces after a command: Multi-\allowbreak Modal is Multi-Modal
                while position < limit and text[position] in " \t\n":
                    position += 1
        elif kind == "open_double":
            buffer.append("\u201c" if not open_quotes[0] else match.group())
            open_quotes[0] = True
        elif kind == "close_double":
            buffer.append("\u201d" if open_quotes[0] else match.group())
            open_quotes[0] = False
        elif kind == "open_single":
            buffer.append("\u2018" if not open_quotes[1] else match.group())
            open_quotes[1] = True
        elif kind == "close_single":
            buffer.append("\u2019" if open_quotes[1] else match.group())
            open_quotes[1] = False
        else:  # tie
            buffer.append(NBSP)
    _flush(buffer, tokens)


_SCRIPT_WORD = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}")


def _script_source(match: re.Match) -> str:
    """A sub- or superscript that lost its dollars (`n^{1+o(1)}`, `R^\\textbf{2AI}`,
    `5\\textsuperscript{th}`) as the formula it stands for: a script on an empty base, set
    right after the text it follows, so HTML shows it raised or lowered, never a bare `^`."""
    mark = match.group("script") or ("^" if match.group("script_word") == "super" else "_")
    # a run of letters is a word or a name (BL, th, pi), never letters multiplied together
    body = match.group("script_body").strip()
    if match.group("script_style"):  # its argument is text already
        body = f"\\{match.group('script_style')}{{{body}}}"
    else:
        worded = _words_as_text(body)
        body = worded if worded != body else _SCRIPT_WORD.sub(r"\\text{\g<0>}", body)
    return f"{{}}{mark}{{{body}}}"


def _command_tokens(name: str, buffer: list[str], tokens: list[tuple]) -> bool:
    """A command outside maths into the buffer, or as an authors' macro token; whether it shows anything."""
    known = _command_text(name)
    if known is None:
        _flush(buffer, tokens)
        tokens.append((MACRO, name, "\\" + name))
        return True
    buffer.append(known)
    return bool(known)


# A sentence ends: punctuation, then a space and a capital or a digit.
_SENTENCE_END = re.compile(r"[.!?]\s+[A-Z0-9]")
_MONEY_SPAN = 80


def _is_money(text: str, match: re.Match) -> bool:
    """Whether a dollar that seems to open a formula is a dollar sign: it follows a space (or
    starts the text), a digit follows it, and its closing dollar lies past a sentence's end or
    far away (`costs $0.1. Code at {Webpage}$`): an amount of money, paired with a stray dollar."""
    start = match.start()
    if not text[start + 1 : start + 2].isdigit() or start and not text[start - 1].isspace() and text[start - 1] != "(":
        return False
    body = match.group("dollar_math")
    return len(body) > _MONEY_SPAN or bool(_SENTENCE_END.search(body))


@lru_cache(maxsize=1)
def _latex_to_text():
    """pylatexenc's converter, made when a command first needs it (most texts never do)."""
    from pylatexenc.latex2text import LatexNodes2Text

    # pylatexenc warns on stderr about macros it cannot substitute; a miss is an answer here, not news.
    logging.getLogger("pylatexenc").setLevel(logging.ERROR)
    return LatexNodes2Text()


@lru_cache(maxsize=4096)
def _command_text(name: str) -> str | None:
    """What a reader sees for a command outside maths, or None for an authors' macro.

    Our own table first (it decides abbreviations and spacing), then the symbols latex2mathml
    knows (the same characters as in maths), then pylatexenc's text macros (``\\i``, ``\\ss``,
    ``\\ldots``). A name none of them knows is defined in its paper alone.
    """
    if name in _COMMAND_TEXT:
        return _COMMAND_TEXT[name]
    if name in GREEK:
        return GREEK[name]
    symbol = _symbol(name)
    if symbol is not None:
        return symbol
    try:
        text = _latex_to_text().latex_to_text("\\" + name)
    except Exception:  # pylatexenc raises on macros whose substitution needs arguments
        return None
    if text and len(text) <= 3 and not any(char in text for char in "<>%\\{}"):
        return text
    return None


def _symbol(name: str) -> str | None:
    """The character latex2mathml gives a symbol command, when it is a letter, symbol or punctuation."""
    try:
        code = convert_symbol("\\" + name)
    except Exception:
        code = None
    if not code or not re.fullmatch(r"[0-9A-Fa-f]{4,6}", code):
        return None
    char = chr(int(code, 16))
    return char if unicodedata.category(char)[0] in "LSP" else None


def _next_fragment(text: str, position: int, limit: int) -> re.Match | None:
    while candidate := _FRAGMENT_START.search(text, position, limit):
        if match := _FRAGMENT.match(text, candidate.start(), limit):
            return match
        position = candidate.start() + 1
    return None


def _flush(buffer: list[str], tokens: list[tuple]) -> None:
    if buffer:
        joined = "".join(buffer)
        if joined:
            tokens.append((TEXT, joined))
        buffer.clear()


def _matching_braces(text: str) -> dict[int, int]:
    """Index of each `{` that closes -> index of its `}`; escaped braces (`\\{`) do not count."""
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for match in _BRACE.finditer(text):
        char = match.group()
        if char == "{":
            stack.append(match.start())
        elif char == "}" and stack:
            pairs[stack.pop()] = match.start()
    return pairs


# --- math ---------------------------------------------------------------------------------------

# Presentation MathML that the W3C validator accepts inside HTML; anything else means fallback.
_MATHML_ELEMENTS = frozenset(
    "math mrow mi mn mo ms mtext mspace msub msup msubsup munder mover munderover mfrac msqrt "
    "mroot mstyle merror mpadded mphantom mtable mtr mtd menclose".split()
)
# Attributes kept; others (latex2mathml's `href`, for instance) are dropped.
_MATHML_ATTRIBUTES = frozenset(
    "display mathvariant stretchy fence form separator accent accentunder lspace rspace "
    "minsize maxsize movablelimits largeop symmetric linethickness width height depth "
    "columnalign rowalign columnspacing rowspacing columnlines rowlines notation "
    "displaystyle scriptlevel".split()
)
# The content model vnu checks: fixed child counts, token elements hold only text, tables nest.
_MATHML_ARITY = {
    "msub": 2, "msup": 2, "msubsup": 3, "munder": 2, "mover": 2, "munderover": 3, "mfrac": 2,
    "mroot": 2,
}
_MATHML_TOKENS = frozenset("mi mn mo ms mtext mspace".split())
_MATHML_ONLY_CHILD = {"mtable": "mtr", "mtr": "mtd"}
_CHARACTER_REFERENCE = re.compile(r"&#x[0-9A-Fa-f]{1,6};")


class _UnsafeMath(Exception):
    """latex2mathml produced an element outside the allow-list."""


# A run of letters at a formula's top level is a word, which maths would set as a product of
# italic letters.
_MATH_WORD = re.compile(r"\\[A-Za-z]+|[{}]|(?P<words>(?P<before>\s*)(?<![A-Za-z])[A-Za-z]+(?:\s+[A-Za-z]+)*(?![A-Za-z])(?P<after>\s*))")


def _words_as_text(source: str) -> str:
    """A formula with its words set as text (`P(final output)`, `VILA^2`), so no word is read as
    letters multiplied together. A word is a
    run of three letters or more, or of several words, outside any braces."""
    depth = 0
    parts: list[str] = []
    position = 0
    for match in _MATH_WORD.finditer(source):
        token = match.group()
        if token == "{":
            depth += 1
        elif token == "}":
            depth = max(0, depth - 1)
        elif match.group("words") is not None and depth == 0:
            run = token.strip()
            if len(run) < 3 and " " not in run:
                continue
            before = "\\ " if match.group("before") and match.start() > 0 else ""
            after = "\\ " if match.group("after") and match.end() < len(source) else ""
            parts.append(source[position:match.start()] + before + "\\text{" + run + "}" + after)
            position = match.end()
    return "".join(parts) + source[position:] if parts else source


# Text commands inside a formula: latex2mathml reads their argument as raw text, so one nested in
# another would show its name and braces, and some it does not know at all.
_MATH_TEXT_COMMANDS = "textbf|textit|textsl|emph|textsc|texttt|textrm|textsf|textup|textmd|textnormal|text|mbox"
_NESTED_TEXT_COMMAND = re.compile(r"(\\(?:%s)\s?\{)\\(?:%s)\s?\{([^{}]*)\}" % (_MATH_TEXT_COMMANDS, _MATH_TEXT_COMMANDS))
_MATH_TEXT_REWRITES = (
    (re.compile(r"\\(?:textsc|textup|textmd|textnormal|mbox)(?![A-Za-z])"), r"\\text"),
    (re.compile(r"\\textsuperscript\s?\{([^{}]*)\}"), r"^{\\text{\1}}"),
    (re.compile(r"\\textsubscript\s?\{([^{}]*)\}"), r"_{\\text{\1}}"),
)


def _math_source(source: str) -> str:
    """A formula as latex2mathml should read it: text commands it lacks as ones it has, a text
    command nested in another reduced to its text (`\\textbf{\\textit{x}}` is `\\textbf{x}`),
    and its words set as text (`_words_as_text`)."""
    if "\\text" in source or "\\emph" in source or "\\mbox" in source:
        for pattern, replacement in _MATH_TEXT_REWRITES:
            source = pattern.sub(replacement, source)
        for _ in range(8):  # a few levels of nesting at most; each pass removes one
            source, count = _NESTED_TEXT_COMMAND.subn(r"\1\2", source)
            if not count:
                break
    return _words_as_text(source)


@lru_cache(maxsize=4096)
def _math_html(source: str) -> str:
    """MathML for a formula, rebuilt from an allow-list; its plain form in <code> when that fails."""
    try:
        root = convert_to_element(_math_source(source), display="inline")
        return _mathml(root)
    except Exception:  # latex2mathml raises many kinds on bad LaTeX; any of them means fallback
        return f'<code class="math">{escape(_math_plain(source))}</code>'


def _mathml(root) -> str:
    """Serialise latex2mathml's element tree ourselves: its own serialiser un-escapes `\\text{}`."""
    parts: list[str] = []
    stack = [(root, False)]
    while stack:
        element, closing = stack.pop()
        tag = element.tag
        if closing:
            parts.append(f"</{tag}>")
            if element.tail:
                parts.append(_mathml_text(element.tail))
            continue
        if tag not in _MATHML_ELEMENTS:
            raise _UnsafeMath(tag)
        _check_content(element)
        attributes = "".join(
            f' {name}="{escape(value)}"'
            for name, value in sorted(element.attrib.items())
            if name in _MATHML_ATTRIBUTES
        )
        parts.append(f"<{tag}{attributes}>")
        if element.text:
            parts.append(_mathml_text(element.text))
        stack.append((element, True))
        stack.extend((child, False) for child in reversed(element))
    return "".join(parts)


def _check_content(element) -> None:
    tag, count = element.tag, len(element)
    if tag in _MATHML_ARITY and count != _MATHML_ARITY[tag]:
        raise _UnsafeMath(f"{tag} with {count} children")
    if tag in _MATHML_TOKENS and count:
        raise _UnsafeMath(f"{tag} with element children")
    only = _MATHML_ONLY_CHILD.get(tag)
    if only and any(child.tag != only for child in element):
        raise _UnsafeMath(f"{tag} holding something other than {only}")


def _mathml_text(text: str) -> str:
    # latex2mathml writes symbols as character references inside the text; resolve, then escape.
    return str(escape(_math_token_text(text)))


def _math_token_text(text: str) -> str:
    """A MathML token's text as a reader sees it: character references resolved, and the commands
    latex2mathml leaves as text (``\\textsc``, an authors' ``\\ours``) resolved as outside maths."""
    text = sanitize(_CHARACTER_REFERENCE.sub(lambda m: unescape(m.group()), text))
    if "\\" in text:
        text = _MATH_COMMAND.sub(lambda m: _command_text(m.group(1)) if _command_text(m.group(1)) is not None
                                 else m.group(1), text)
    return text


_MATH_COMMAND = re.compile(r"\\([A-Za-z]+)")
_SUPERSCRIPTS = dict(zip("0123456789+-\u2212=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿⁱ"))
_SUBSCRIPTS = dict(zip("0123456789+-\u2212=()", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎"))
_SCRIPT_LETTERS = {"_": dict(zip("aeoxhklmnpstij", "ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼ")), "^": dict(zip("Ti", "ᵀⁱ"))}
# Relations read better with spaces around them; other operators sit tight (n², O(n), 3×).
# Marks latex2mathml sets over or under a letter without calling them accents (\\bar, \\overline).
_ACCENT_MARKS = frozenset("¯‾―^~˜˙¨ˇ˘→←")
_SPACED_OPERATORS = frozenset("=<>≤≥≈≠→←↔⇒⇐⇔∼≃≅∈∉⊂⊆⊃⊇≡≪≫∝")


@lru_cache(maxsize=4096)
def _math_plain(source: str) -> str:
    """A formula as readable characters: ``\\tau`` is τ, ``x^2`` is x², ``\\frac{a}{b}`` is a/b,
    ``\\mathbf{x}`` is x. Read from latex2mathml's tree, so maths means the same in HTML and text;
    a formula it cannot read keeps its words, with commands resolved as outside maths."""
    try:
        plain = _plain_of(convert_to_element(_math_source(source), display="inline"))
        return re.sub(r"(?<=[(\[]) | (?=[)\],])", "", _ASCII_SPACE_RUN.sub(" ", plain)).strip()
    except Exception:  # latex2mathml raises many kinds on bad LaTeX; any of them means fallback
        text = _MATH_COMMAND.sub(lambda m: _command_text(m.group(1)) or _symbol(m.group(1)) or m.group(1), source)
        return re.sub(r"[{}]|\\(?=\W)", "", text).strip()


def _math_macros(source: str) -> list[str]:
    """The authors' macros a formula uses: commands that neither latex2mathml nor the text policy knows."""
    if "\\" not in source:
        return []
    try:
        root = convert_to_element(_math_source(source), display="inline")
    except Exception:
        return []
    names = []
    for element in root.iter():
        for match in _MATH_COMMAND.finditer(element.text or ""):
            if _command_text(match.group(1)) is None:
                names.append(match.group())
    return names


def _plain_of(element) -> str:
    tag = element.tag
    children = list(element)
    if tag in _MATHML_TOKENS:
        if tag == "mspace":
            return "" if element.get("width", "").startswith("negative") else " "
        # A minus sign reads (and is searched) as the hyphen-minus a keyboard types: γ-MoD.
        text = _readable_letters(_math_token_text(element.text or "")).replace(NBSP, " ").replace("\u2212", "-")
        if tag == "mo" and text in _SPACED_OPERATORS or tag == "mi" and len(text) > 1 and text.isalpha():
            return f" {text} "  # relations, and names such as log or max, stand apart
        return text
    parts = [_plain_of(child) for child in children]
    if tag in ("msup", "msub", "msubsup") and len(parts) >= 2:
        base = parts[0]
        if tag == "msup":
            return base + _script(parts[1], _SUPERSCRIPTS, "^")
        if tag == "msub":
            return base + _script(parts[1], _SUBSCRIPTS, "_")
        return base + _script(parts[1], _SUBSCRIPTS, "_") + _script(parts[2], _SUPERSCRIPTS, "^")
    if tag in ("mover", "munder", "munderover") and len(parts) >= 2:
        # \hat, \bar, \underline: the mark is on the script's element or on its operator
        if "true" in (element.get("accent"), element.get("accentunder"), children[1].get("accent")) or (
                children[1].tag == "mo" and parts[1] in _ACCENT_MARKS):
            return parts[0]
        if tag == "mover":
            return parts[0] + _script(parts[1], _SUPERSCRIPTS, "^")
        if tag == "munder":
            return parts[0] + _script(parts[1], _SUBSCRIPTS, "_")
        return parts[0] + _script(parts[1], _SUBSCRIPTS, "_") + _script(parts[2], _SUPERSCRIPTS, "^")
    if tag == "mfrac" and len(parts) == 2:
        return f"{_grouped(parts[0])}/{_grouped(parts[1])}"
    if tag in ("msqrt", "mroot") and parts:
        return "√" + _grouped("".join(parts) if tag == "msqrt" else parts[0])
    if tag == "mtable":
        return "; ".join(parts)
    if tag == "mtr":
        return ", ".join(parts)
    return "".join(parts)


def _script(text: str, table: dict[str, str], mark: str) -> str:
    """A sub- or superscript: Unicode script characters when all exist, else `^x` or `_(xy)`."""
    text = text.strip()
    if not text:
        return ""
    if all(char in table for char in text):
        return "".join(table[char] for char in text)
    if text in _SCRIPT_LETTERS[mark]:  # one letter: x_i, x^T
        return _SCRIPT_LETTERS[mark][text]
    return mark + (text if len(text) == 1 else f"({text})")


def _grouped(text: str) -> str:
    text = text.strip()
    return text if len(text) <= 1 or text.isalnum() else f"({text})"


# The styled capitals Unicode placed among its letterlike symbols before it had a block for them
# (\\mathcal{R} is ℛ, \\mathbb{R} is ℝ); ℓ is a letter of its own.
_LETTERLIKE = frozenset("ℂℊℋℌℍℎℐℑℒℕℙℚℛℜℝℤℨℬℭℯℰℱℳℴ")


def _readable_letters(text: str) -> str:
    """Mathematical alphanumerics (𝐱, 𝒪, 𝔼, ℛ) as the plain letters they style: text must stay searchable."""
    if text.isascii():
        return text
    return "".join(unicodedata.normalize("NFKC", char) if "\U0001d400" <= char <= "\U0001d7ff" or char in _LETTERLIKE
                   else char for char in text)


def spoken(text: str) -> str:
    """Plain text with Greek letters spelled out and script digits as digits (`τ-bench` is
    `tau-bench`, `L²M` is `L2M`): the other spelling a reader may search for."""
    return unicodedata.normalize("NFKC", "".join(_GREEK_NAME.get(char, char) for char in text))


_GREEK_NAME = {char: name for name, char in reversed(GREEK.items())}
