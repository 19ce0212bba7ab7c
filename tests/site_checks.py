"""Generic safety checks over every file a build produces: HTML, XML and JSON alike.

They look at whatever files exist, so feeds, sitemaps and data are covered as soon as the
site makes them. Used by the escaping, fuzzing and CSP tests.
"""

from __future__ import annotations

import gzip
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import PurePosixPath
from urllib.parse import urlsplit

CSP_META = "Content-Security-Policy"
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "cite", "background", "data",
                  "xlink:href", "srcset", "ping"}
# Elements no page of ours uses; one appearing means text from a seed became markup.
FOREIGN_ELEMENTS = {"iframe", "frame", "object", "embed", "applet", "base", "img", "xss-probe",
                    "form-probe", "math-probe", "textarea", "noscript"}
# Where a template itself uses one of those elements: (page, element).
TEMPLATE_ELEMENTS = {("search/index.html", "noscript")}


def is_site_icon(element: "Element") -> bool:
    """The one image the site makes: its own icon from static/, in the masthead."""
    src = element.attrs.get("src") or ""
    return element.tag == "img" and src.startswith("/") and "/static/" in src and "://" not in src


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]
    line: int


class Page(HTMLParser):
    """One parsed HTML page: its elements, its scripts' contents and its visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.scripts: list[tuple[Element, str]] = []
        self.text: list[str] = []
        self._script: Element | None = None
        self._script_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs), self.getpos()[0])
        self.elements.append(element)
        if tag == "script":
            self._script, self._script_text = element, []

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._script_text)))
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script_text.append(data)
        else:
            self.text.append(data)


def parse_html(source: str) -> Page:
    page = Page()
    page.feed(source)
    page.close()
    return page


def _clean_url(value: str) -> str:
    # Browsers drop ASCII tabs and newlines anywhere in a URL and leading/trailing C0 or spaces.
    return re.sub(r"[\t\n\r]", "", value).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c"
                                                  "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18"
                                                  "\x19\x1a\x1b\x1c\x1d\x1e\x1f ")


def is_safe_url(value: str) -> bool:
    """http(s), or a path/fragment inside the site; never javascript:, data: or protocol-relative."""
    url = _clean_url(value)
    if url.startswith(("//", "\\\\", "/\\")):
        return False
    scheme = urlsplit(url).scheme.lower()
    return scheme in ("", "http", "https")


def is_external(value: str, site_host: str) -> bool:
    parts = urlsplit(_clean_url(value))
    return parts.scheme in ("http", "https") and parts.hostname != site_host


DATA_BLOCK = "application/ld+json"
"""A script element of this type is data, never run (HTML's "data block"): the one kind a page may
hold inline."""


def data_block_problems(content: str) -> list[str]:
    """A JSON-LD block must parse as JSON, and hold no `<`, so no text can end the element early."""
    import json

    try:
        json.loads(content)
    except ValueError as error:
        return [f"JSON-LD is not valid JSON ({error})"]
    return ["JSON-LD holds a raw '<'"] if "<" in content else []


def html_problems(path: str, source: str, site_host: str) -> list[str]:
    """Everything in one HTML page that lets markup from the data reach a visitor."""
    problems: list[str] = []
    page = parse_html(source)

    def problem(element: Element, message: str) -> None:
        problems.append(f"{path}:{element.line}: <{element.tag}> {message}")

    for element in page.elements:
        if (element.tag in FOREIGN_ELEMENTS and not is_site_icon(element)
                and (str(path), element.tag) not in TEMPLATE_ELEMENTS):
            problem(element, "is not an element the site makes")
        for name, value in element.attrs.items():
            if name.startswith("on"):
                problem(element, f"has an event handler attribute {name}")
            if name == "style":
                problem(element, "has an inline style attribute")
            if name in URL_ATTRIBUTES and value is not None and not is_safe_url(value):
                problem(element, f"{name}={value!r} is not http(s) or inside the site")
            if name.startswith("xss") or name == "data-x":
                problem(element, f"has attribute {name} from the data")
        if element.tag == "a" and is_external(element.attrs.get("href") or "", site_host):
            rel = set((element.attrs.get("rel") or "").split())
            if "noreferrer" not in rel:
                problem(element, f"external link {element.attrs['href']!r} lacks rel=noreferrer")
        if element.tag == "meta" and (element.attrs.get("http-equiv") or "").lower() == "refresh":
            problem(element, "redirects the page")
        if element.tag == "style":
            problem(element, "is an inline style sheet")
    for element, content in page.scripts:
        if element.attrs.get("type") == DATA_BLOCK:
            problems.extend(f"{path}:{element.line}: {message}" for message in data_block_problems(content))
        elif "src" not in element.attrs:
            problem(element, "is an inline script")
        elif content.strip():
            problem(element, "has both src and inline content")
    return problems


def xml_problems(path: str, data: bytes) -> list[str]:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        return [f"{path}: not well-formed XML: {error}"]
    problems = []
    for element in root.iter():
        local = element.tag.rsplit("}", 1)[-1]
        if local in FOREIGN_ELEMENTS or local.startswith("xss"):
            problems.append(f"{path}: element <{local}> from the data")
        for name, value in element.attrib.items():
            if name.rsplit("}", 1)[-1] == "href" and not is_safe_url(value):
                problems.append(f"{path}: href {value!r} is not http(s) or inside the site")
    return problems


def site_problems(files: dict[PurePosixPath, bytes], site_host: str) -> list[str]:
    """Check every file of a built site by its kind; return every problem found."""
    problems: list[str] = []
    for path, data in sorted(files.items()):
        name = str(path)
        if path.suffix == ".html":
            problems += html_problems(name, data.decode("utf-8"), site_host)
        elif path.suffix in (".xml", ".atom", ".rss"):
            problems += xml_problems(name, data)
        elif name.endswith((".json", ".json.gz", ".webmanifest")) and not name.startswith("pagefind/"):
            try:
                json.loads(gzip.decompress(data) if path.suffix == ".gz" else data)
            except (ValueError, OSError) as error:  # OSError: not gzip
                problems.append(f"{name}: not JSON: {error}")
    return problems


def read_site(folder) -> dict[PurePosixPath, bytes]:
    return {PurePosixPath(path.relative_to(folder).as_posix()): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}
