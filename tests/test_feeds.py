"""The Atom feeds' entries: authors by name and links to arXiv, checked against RFC 4287's rules."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from site_build import build_site

from conftest import FIXTURES
from paper_catalogue.export import read_export
from paper_catalogue.feeds import atom_feed
from paper_catalogue.models import Identity, Paper, SiteConfig, Source

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://example.org/catalogue/"  # tests/fixtures/site_src/site.toml
API_SEEDS = FIXTURES / "api_seeds"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
# RFC 4287's elements, with how many of each a feed or an entry may hold: (at least, at most).
FEED_CHILDREN = {"author": (0, None), "category": (0, None), "contributor": (0, None), "generator": (0, 1),
                 "icon": (0, 1), "id": (1, 1), "link": (0, None), "logo": (0, 1), "rights": (0, 1),
                 "subtitle": (0, 1), "title": (1, 1), "updated": (1, 1), "entry": (0, None)}
ENTRY_CHILDREN = {"author": (0, None), "category": (0, None), "content": (0, 1), "contributor": (0, None),
                  "id": (1, 1), "link": (0, None), "published": (0, 1), "rights": (0, 1), "source": (0, 1),
                  "summary": (0, 1), "title": (1, 1), "updated": (1, 1)}
LINK_RELATIONS = {"alternate", "related", "self", "enclosure", "via"}


def atom_problems(feed: ET.Element) -> list[str]:
    """Every way the feed breaks RFC 4287 (the parts a feed of ours could break), or []."""
    problems = [] if feed.tag == ATOM + "feed" else [f"root is {feed.tag}"]
    problems += children_problems(feed, FEED_CHILDREN, "feed")
    feed_has_author = feed.find(ATOM + "author") is not None
    ids = [entry.findtext(ATOM + "id") for entry in feed.findall(ATOM + "entry")]
    if len(ids) != len(set(ids)):
        problems.append("two entries share an id")
    for number, entry in enumerate(feed.findall(ATOM + "entry"), start=1):
        where = f"entry {number}"
        problems += children_problems(entry, ENTRY_CHILDREN, where)
        if not feed_has_author and entry.find(ATOM + "author") is None:
            problems.append(f"{where}: no author, and the feed has none")  # 4.1.1
        if entry.find(ATOM + "content") is None and not any(
                link.get("rel", "alternate") == "alternate" for link in entry.findall(ATOM + "link")):
            problems.append(f"{where}: neither content nor an alternate link")  # 4.1.2
    return problems


def children_problems(element: ET.Element, allowed: dict[str, tuple[int, int | None]], where: str) -> list[str]:
    problems = []
    counts = {name: 0 for name in allowed}
    for child in element:
        name = child.tag.removeprefix(ATOM)
        if name == child.tag:
            continue  # an extension element, in another namespace
        if name not in allowed:
            problems.append(f"{where}: <{name}> is not an Atom element here")
            continue
        counts[name] += 1
        if name in ("author", "contributor"):
            names = child.findall(ATOM + "name")
            if len(names) != 1 or not (names[0].text or "").strip():
                problems.append(f"{where}: a person without exactly one non-empty name")  # 3.2.1
        if name == "link":
            problems += link_problems(child, where)
        if name in ("updated", "published") and not RFC3339.match(child.text or ""):
            problems.append(f"{where}: <{name}> {child.text!r} is not an RFC 3339 date-time")  # 3.3
        if name == "id" and not urlsplit(child.text or "").scheme:
            problems.append(f"{where}: <id> {child.text!r} is not an absolute IRI")  # 4.2.6
    for name, (least, most) in allowed.items():
        if counts[name] < least or (most is not None and counts[name] > most):
            problems.append(f"{where}: {counts[name]} <{name}>")
    alternates = [(link.get("type"), link.get("hreflang")) for link in element.findall(ATOM + "link")
                  if link.get("rel", "alternate") == "alternate"]
    if len(alternates) != len(set(alternates)):
        problems.append(f"{where}: two alternate links of the same type and language")  # 4.1.1, 4.1.2
    return problems


def link_problems(link: ET.Element, where: str) -> list[str]:
    href, rel = link.get("href") or "", link.get("rel", "alternate")
    problems = [] if urlsplit(href).scheme in ("http", "https") else [f"{where}: link href {href!r} is not absolute"]
    if rel not in LINK_RELATIONS and not urlsplit(rel).scheme:
        problems.append(f"{where}: link rel {rel!r} is neither registered nor an IRI")  # 4.2.7.2
    if rel == "enclosure" and not link.get("length"):
        problems.append(f"{where}: an enclosure without its length")
    return problems


def dated(number: int, identity: Identity | None) -> Paper:
    return Paper(id=f"paper-{number}", title=f"Paper {number}", abstract="An abstract.",
                 published=dt.date(2025, 10, number), identity=identity, sources=(Source(file="x.txt", line=number),))


NAMED = dated(3, Identity(arxiv_id="2510.04673", author_names=("Zoë Zhang", "Ann Bell & Co", "Chan Hee Song")))
UNNAMED = dated(2, Identity(arxiv_id="cs/0101001"))
LISTED = dated(1, None)


def entries(feed: bytes) -> dict[str, ET.Element]:
    """The feed's entries by their paper's id."""
    return {entry.findtext(ATOM + "id").rstrip("/").rsplit("/", 1)[1]: entry
            for entry in ET.fromstring(feed).findall(ATOM + "entry")}


def related_links(entry: ET.Element) -> list[tuple[str | None, str | None]]:
    return [(link.get("type"), link.get("href")) for link in entry.findall(ATOM + "link") if link.get("rel") == "related"]


def test_an_entry_names_its_authors_in_order_and_links_arxiv_and_the_pdf():
    feed = atom_feed((LISTED, NAMED, UNNAMED), SiteConfig(base_url=BASE), str)
    entry = entries(feed)[NAMED.id]
    assert [author.findtext(ATOM + "name") for author in entry.findall(ATOM + "author")] == [
        "Zoë Zhang", "Ann Bell & Co", "Chan Hee Song"]
    assert all(author.find(ATOM + "uri") is None for author in entry.findall(ATOM + "author"))
    assert related_links(entry) == [("text/html", "https://arxiv.org/abs/2510.04673"),
                                    ("application/pdf", "https://arxiv.org/pdf/2510.04673")]
    alternate = [link for link in entry.findall(ATOM + "link") if link.get("rel") == "alternate"]
    assert [link.get("href") for link in alternate] == [BASE + "papers/paper-3/"]  # still the first link
    assert atom_problems(ET.fromstring(feed)) == []


def test_an_entry_without_names_has_no_author_and_without_an_arxiv_id_no_arxiv_link():
    feed = ET.fromstring(atom_feed((LISTED, NAMED, UNNAMED), SiteConfig(base_url=BASE), str))
    by_id = {entry.findtext(ATOM + "id"): entry for entry in feed.findall(ATOM + "entry")}
    unnamed, listed = by_id[BASE + "papers/paper-2/"], by_id[BASE + "papers/paper-1/"]
    assert unnamed.find(ATOM + "author") is None and listed.find(ATOM + "author") is None
    assert related_links(unnamed) == [("text/html", "https://arxiv.org/abs/cs/0101001"),
                                      ("application/pdf", "https://arxiv.org/pdf/cs/0101001")]
    assert related_links(listed) == []
    # The feed's own author stays the catalogue, and covers the entries that name none.
    assert [author.findtext(ATOM + "name") for author in feed.findall(ATOM + "author")] == ["Paper catalogue"]
    assert atom_problems(feed) == []


def test_the_feed_is_the_same_bytes_whatever_the_order_of_the_papers():
    config = SiteConfig(base_url=BASE)
    assert atom_feed((LISTED, NAMED, UNNAMED), config, str) == atom_feed((UNNAMED, NAMED, LISTED), config, str)


def test_the_rfc_4287_check_finds_a_broken_feed():
    feed = ET.fromstring(atom_feed((NAMED,), SiteConfig(base_url=BASE), str))
    entry = feed.find(ATOM + "entry")
    entry.remove(entry.find(ATOM + "id"))
    ET.SubElement(ET.SubElement(entry, ATOM + "author"), ATOM + "name").text = " "
    ET.SubElement(entry, ATOM + "link", rel="enclosure", href="https://arxiv.org/pdf/2510.04673")
    ET.SubElement(entry, ATOM + "link", rel="alternate", type="text/html", href="/relative/")
    feed.remove(feed.find(ATOM + "author"))
    entry.find(ATOM + "updated").text = "2025-10-07"
    assert sorted(atom_problems(feed)) == [
        "entry 1: 0 <id>", "entry 1: <updated> '2025-10-07' is not an RFC 3339 date-time",
        "entry 1: a person without exactly one non-empty name", "entry 1: an enclosure without its length",
        "entry 1: link href '/relative/' is not absolute", "entry 1: two alternate links of the same type and language"]
    feed_without_names = ET.fromstring(atom_feed((LISTED,), SiteConfig(base_url=BASE), str))
    feed_without_names.remove(feed_without_names.find(ATOM + "author"))
    assert atom_problems(feed_without_names) == ["entry 1: no author, and the feed has none"]


@pytest.fixture(scope="module")
def identity_site(tmp_path_factory) -> Path:
    return build_site(tmp_path_factory.mktemp("feeds") / "_site", seeds=API_SEEDS)


def test_a_built_sites_feeds_name_the_authors_the_export_gives(identity_site):
    records = {BASE + record["url"]: record for record in read_export(identity_site)}
    feeds = [identity_site / "feed.xml", *sorted((identity_site / "topics").glob("*/feed.xml"))]
    named = unnamed = 0
    for path in feeds:
        feed = ET.parse(path).getroot()
        assert atom_problems(feed) == [], path
        for entry in feed.findall(ATOM + "entry"):
            record = records[entry.findtext(ATOM + "id")]
            assert [author.findtext(ATOM + "name") for author in entry.findall(ATOM + "author")] == record["author_names"]
            assert [href for _, href in related_links(entry)] == (
                [record["arxiv_url"], record["pdf_url"]] if record["arxiv_id"] else [])
            named += bool(record["author_names"])
            unnamed += not record["author_names"]
    assert named >= 10 and unnamed >= 1, (named, unnamed)
