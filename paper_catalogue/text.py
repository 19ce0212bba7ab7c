"""The one home of text policy: links in abstracts, and abstracts cleaned for display as HTML or plain text.

Policy, in the order it is applied:

1. Unsafe code points become U+FFFD: C0 controls other than tab, LF and CR; DEL and the C1
   controls; lone surrogates; and Unicode noncharacters. HTML5 and XML 1.0 forbid them, and a
   visible replacement character loses less than deleting them would.
2. Links are found by the one linkify matcher `find_links` uses, so a page and `papers.json` agree.
   Only http and https URLs are linked; a link's text is kept exactly as written.
3. Outside links, the LaTeX fragments the listing dumps carry are resolved: ``\\%``-style escapes,
   ``\\textbf``/``\\emph``/``{\\em ...}`` groups, TeX quotes, ``~`` ties, Greek letters, accents,
   and ``\\(...\\)`` / ``$...$`` math. Anything else (markdown stars such as ``*PO``, unknown
   commands such as ``\\p``) is left exactly as written: the text is text, never markup.

Everything is escaped as it is written out, so no seed text can become markup.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from html import unescape

from latex2mathml.converter import convert_to_element
from latex2mathml.symbols_parser import convert_symbol
from linkify_it import LinkifyIt
from markdown_it.common.normalize_url import normalizeLink
from markupsafe import Markup, escape

# Only explicit web links count: fuzzy matches such as `model.py` are not URLs.
_LINKIFY = LinkifyIt(options={"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False})
SAFE_SCHEMES = ("http://", "https://")

NBSP = "\u00a0"
REPLACEMENT = "\ufffd"

_NONCHARACTERS = "".join(
    f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
)
# Two classes: one holding astral characters makes the regex engine ~15x slower on every text.
_UNSAFE_BMP_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_UNSAFE_ASTRAL_CHARS = re.compile("[" + _NONCHARACTERS[2:] + "]")

# Characters that can start a fragment; an abstract without any of them needs no fragment pass.
_FRAGMENT_TRIGGERS = re.compile(r"[\\`~$]")
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
_ACCENTS = {"'": "\u0301", "`": "\u0300", '"': "\u0308", "^": "\u0302", "~": "\u0303"}
_STRONG_COMMANDS = {"textbf": "strong", "bf": "strong"}
_EM_COMMANDS = {"emph": "em", "textit": "em", "em": "em", "it": "em"}
_GROUP_TAGS = {**_STRONG_COMMANDS, **_EM_COMMANDS}
_MATH_LIMIT = 2000  # longer "math" is almost surely two stray dollars; left as text

_GREEK_ALTERNATION = "|".join(sorted(_GREEK_NAMES, key=len, reverse=True))
_FRAGMENT = re.compile(
    r"""
      \\\((?P<paren_math>(?:(?!\\\().){1,%(limit)d}?)\\\)      # \( math \), stopping at the next \(
    | \$(?<![\\$]\$)(?![\s$])(?P<dollar_math>[^$]{1,%(limit)d}?)(?<![\s\\])\$(?![\d$])  # $math$
    | \\(?P<command_group>textbf|textit|emph)\{                # \textbf{ ... }
    | \{\\(?P<switch_group>em|bf|it)(?![A-Za-z])\s*            # {\em ... }
    | \{\\(?P<braced_greek>%(greek)s)\}                        # {\tau}
    | \\(?P<greek>%(greek)s)(?![A-Za-z])                       # \tau
    | \{\\(?P<braced_accent>['`"^~][A-Za-z])\}                  # {\'a}
    | \\(?P<accent>['`"^~](?:[A-Za-z]|\{[A-Za-z]\}))            # \'a \'{a}
    | \\(?P<escaped>[%(escaped)s])                             # escaped percent, ampersand, ...
    | (?P<open_double>``)(?=[^`]{1,500}?(?:''|"))              # ``quoted'' or ``quoted"
    | (?P<close_double>''|")
    | (?P<open_single>`)(?<!``)(?=(?:[^`']|'(?=\w)){0,200}?\w'(?!\w))        # `quoted'
    | (?P<close_single>')(?!\w)
    | (?P<tie>~)(?<=[^\s~]~)(?=[^\s~])                          # word~word
    """  # every branch starts with a _FRAGMENT_START character; each scan stops at its next opener
    % {"limit": _MATH_LIMIT, "greek": _GREEK_ALTERNATION, "escaped": re.escape(_ESCAPED_CHARS)},
    re.VERBOSE | re.DOTALL,
)
# The alternation above defeats the regex engine's own skip-ahead (~25x slower than a class
# scan), so candidates are found with this class first and the alternation is tried there.
_FRAGMENT_START = re.compile(r"[\\$`'\"~{]")
_BRACE = re.compile(r"\\.|[{}]", re.DOTALL)

# Tokens: what a fragment pass produces and both writers consume.
TEXT, OPEN, CLOSE, LINK, MATH = "text", "open", "close", "link", "math"


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
    """The http(s) URLs in a text, in order of appearance, without duplicates."""
    found: list[str] = []
    for _, _, url in _link_spans(sanitize(text)):
        if url not in found:
            found.append(url)
    return tuple(found)


def abstract_html(text: str) -> Markup:
    """An abstract as HTML for reading: escaped, LaTeX fragments resolved, math as MathML, links linked."""
    parts: list[str] = []
    for token in _tokens(text):
        kind = token[0]
        if kind == TEXT:
            parts.append(escape(token[1]))
        elif kind == OPEN:
            parts.append(f"<{token[1]}>")
        elif kind == CLOSE:
            parts.append(f"</{token[1]}>")
        elif kind == LINK:
            parts.append(
                f'<a href="{escape(normalizeLink(token[2]))}" rel="noopener noreferrer">'
                f"{escape(token[1])}</a>"
            )
        else:
            parts.append(_math_html(token[1]))
    return Markup("".join(parts))


def plain_text(text: str) -> str:
    """An abstract as plain text: the same cleanup as `abstract_html`, with math as readable source."""
    parts: list[str] = []
    for token in _tokens(text):
        kind = token[0]
        if kind == TEXT or kind == LINK:
            parts.append(token[1])
        elif kind == MATH:
            parts.append(_math_plain(token[1]))
    return "".join(parts)


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


def _tokens(text: str) -> list[tuple]:
    """The abstract as a flat token list: text runs, group opens/closes, links and math."""
    text = sanitize(text)
    tokens: list[tuple] = []
    position = 0
    for start, end, url in _link_spans(text):
        _fragment_tokens(text[position:start], tokens)
        tokens.append((LINK, text[start:end], url))
        position = end
    _fragment_tokens(text[position:], tokens)
    return tokens


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
            _flush(buffer, tokens)
            tokens.append((CLOSE, closers.pop()[1]))
            quotes.pop()
            position = limit + 1
            continue
        buffer.append(text[position : match.start()])
        position = match.end()
        kind = match.lastgroup
        open_quotes = quotes[-1]
        if kind in ("paren_math", "dollar_math"):
            _flush(buffer, tokens)
            tokens.append((MATH, match.group(kind)))
        elif kind in ("command_group", "switch_group"):
            brace = match.end() - 1 if kind == "command_group" else match.start()
            if braces is None:
                braces = _matching_braces(text)
            close = braces.get(brace)
            if close is None or close > limit:
                buffer.append(match.group())
                continue
            _flush(buffer, tokens)
            tag = _GROUP_TAGS[match.group(kind)]
            tokens.append((OPEN, tag))
            closers.append((close, tag))
            quotes.append([False, False])
        elif kind == "braced_greek" or kind == "greek":
            buffer.append(GREEK[match.group(kind)])
        elif kind == "braced_accent" or kind == "accent":
            accent, letter = match.group(kind)[0], match.group(kind).strip("{}")[-1]
            buffer.append(unicodedata.normalize("NFC", letter + _ACCENTS[accent]))
        elif kind == "escaped":
            buffer.append(match.group(kind))
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


@lru_cache(maxsize=4096)
def _math_html(source: str) -> str:
    """MathML for a formula, rebuilt from an allow-list; the source in <code> when that fails."""
    try:
        root = convert_to_element(source, display="inline")
        return _mathml(root)
    except Exception:  # latex2mathml raises many kinds on bad LaTeX; any of them means fallback
        return f'<code class="math">{escape(source)}</code>'


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
    return str(escape(sanitize(_CHARACTER_REFERENCE.sub(lambda m: unescape(m.group()), text))))


_MATH_COMMAND = re.compile(r"\\([A-Za-z]+)")


@lru_cache(maxsize=4096)
def _math_plain(source: str) -> str:
    """A formula as readable text: its source with symbol commands (``\\tau``, ``\\leq``) as characters."""
    return _MATH_COMMAND.sub(_math_symbol, source)


def _math_symbol(match: re.Match) -> str:
    try:
        code = convert_symbol("\\" + match.group(1))
    except Exception:
        code = None
    if not code or not re.fullmatch(r"[0-9A-Fa-f]{4,6}", code):
        return match.group()
    char = chr(int(code, 16))
    return char if unicodedata.category(char)[0] in "LSP" else match.group()
