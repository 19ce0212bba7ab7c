"""The one home of text policy: finding links in abstracts (and, later, cleaning them for display)."""

from __future__ import annotations

from linkify_it import LinkifyIt

# Only explicit web links count: fuzzy matches such as `model.py` are not URLs.
_LINKIFY = LinkifyIt(options={"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False})
SAFE_SCHEMES = ("http://", "https://")


def find_links(text: str) -> tuple[str, ...]:
    """The http(s) URLs in a text, in order of appearance, without duplicates."""
    found: list[str] = []
    for match in _LINKIFY.match(text) or ():
        url = match.url
        if url.lower().startswith(SAFE_SCHEMES) and url not in found:
            found.append(url)
    return tuple(found)
