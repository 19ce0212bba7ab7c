"""Pagefind's content-named files: carried over from the previous bundle, and pruned when the new index no longer names them.

Pagefind names its fragments, index chunks, filter chunks and meta files by a hash of their
content, and does not write such a file when one of that name already exists (`write()` in
pagefind/src/output/mod.rs, 1.5). Writing them is most of its time on a large site: 10,000
fragments, each gzipped at the highest level and created through its async file pool. So a
rebuild hard-links the previous bundle's content-named files into the staging bundle before
Pagefind runs, and afterwards removes those the new index does not name. Only content-named files
are linked: Pagefind rewrites the others (pagefind.js, the entry file) in place, which would reach
through a hard link into the live site."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

CONTENT_FOLDERS = ("fragment", "index", "filter")
"""The bundle's folders of content-named files, one file per hash: `<language>_<hash>.pf_<kind>`."""
META_PREFIX, META_SUFFIX = "pagefind.", ".pf_meta"
"""Each language's meta file, `pagefind.<language>_<hash>.pf_meta`, beside the entry file."""
SIGNATURE = b"pagefind_dcd"
"""What every gzipped Pagefind data file starts with once decompressed (Pagefind's `write()`)."""
ENTRY = "pagefind-entry.json"


def _content_files(bundle: Path) -> list[str]:
    """Paths relative to the bundle, with "/"; strings, not Paths: a bundle holds 10,000 of them."""
    files = [name for name in _names(str(bundle)) if name.startswith(META_PREFIX) and name.endswith(META_SUFFIX)]
    for folder in CONTENT_FOLDERS:
        files.extend(f"{folder}/{name}" for name in _names(os.path.join(bundle, folder)))
    return files


def _names(folder: str) -> list[str]:
    try:
        with os.scandir(folder) as entries:
            return [entry.name for entry in entries if entry.is_file(follow_symlinks=False)]
    except OSError:
        return []


def carry_over(previous: Path, bundle: Path) -> frozenset[str]:
    """Hard-link the content-named files of `previous` into the new, empty `bundle`; returns their
    paths relative to it. Stops quietly where linking cannot be done (another disk, no hard
    links): Pagefind then writes what is missing, as in a build without a previous bundle."""
    carried: set[str] = set()
    try:
        for folder in ("", *CONTENT_FOLDERS):
            os.makedirs(os.path.join(bundle, folder), exist_ok=True)
        for relative in _content_files(previous):
            os.link(os.path.join(previous, relative), os.path.join(bundle, relative))
            carried.add(relative)
    except OSError:
        pass
    return frozenset(carried)


def prune(bundle: Path, carried: frozenset[str]) -> int | None:
    """Remove the `carried` files the bundle's meta files do not name; returns how many.

    None when the bundle does not read as expected: its meta files cannot be read, a file
    Pagefind has just written goes unnamed (so the names were not all found), or a language is
    left without exactly one fragment per indexed page. The caller then indexes again into an
    empty bundle, rather than publish a search with a file missing.
    """
    try:
        languages = json.loads((bundle / ENTRY).read_text(encoding="utf-8"))["languages"]
        metas = {f"{META_PREFIX}{language['hash']}{META_SUFFIX}": language["page_count"]
                 for language in languages.values()}
        named: set[str] = set()
        for meta in metas:
            data = gzip.decompress((bundle / meta).read_bytes())
            if not data.startswith(SIGNATURE):
                return None
            named |= cbor_texts(data[len(SIGNATURE):])
    except (OSError, ValueError, KeyError, TypeError, EOFError, gzip.BadGzipFile):
        return None
    files = _content_files(bundle)
    unnamed = {path for path in files if not _is_named(path, metas, named)}
    if not unnamed <= carried:
        return None
    for path in sorted(unnamed):
        os.unlink(os.path.join(bundle, path))
    fragments = [path for path in files if path.startswith("fragment/") and path not in unnamed]
    for meta, pages in metas.items():
        language = meta[len(META_PREFIX):-len(META_SUFFIX)].rsplit("_", 1)[0]
        if sum(path.startswith(f"fragment/{language}_") for path in fragments) != pages:
            return None
    return len(unnamed)


def _is_named(path: str, metas: dict[str, int], named: set[str]) -> bool:
    """A meta file by the entry file; a chunk or fragment (`fragment/en_1a2b3c4.pf_fragment`) by its
    hash, `en_1a2b3c4`, among the meta files' strings."""
    if "/" not in path:
        return path in metas
    return path.rpartition("/")[2].split(".")[0] in named


def cbor_texts(data: bytes) -> set[str]:
    """Every text string in one CBOR data item (RFC 8949), whatever the structure around it.

    Pagefind's meta file is a CBOR array holding the hashes of the pages, index chunks and filter
    chunks as text; reading every text string rather than that exact layout keeps pruning right
    if the layout gains fields. Raises ValueError on what this reader does not know (indefinite
    lengths, truncation), which the caller treats as an unreadable bundle."""
    texts: set[str] = set()
    position, pending = 0, 1  # data items still to read
    while pending:
        if position >= len(data):
            raise ValueError("CBOR data ends early")
        initial = data[position]
        major, info = initial >> 5, initial & 0x1F
        position += 1
        if info < 24:
            argument = info
        elif info <= 27:
            width = 1 << (info - 24)
            if position + width > len(data):
                raise ValueError("CBOR data ends early")
            argument = int.from_bytes(data[position:position + width], "big")
            position += width
        else:
            raise ValueError(f"CBOR additional information {info} is not supported")
        pending -= 1
        if major in (2, 3):  # byte string, text string
            if position + argument > len(data):
                raise ValueError("CBOR data ends early")
            if major == 3:
                texts.add(data[position:position + argument].decode("utf-8"))
            position += argument
        elif major == 4:  # array
            pending += argument
        elif major == 5:  # map: a key and a value per entry
            pending += 2 * argument
        elif major == 6:  # tag: the tagged item follows
            pending += 1
        # 0, 1: integers; 7: simple values and floats, whose bytes the argument already covered
    if position != len(data):
        raise ValueError("CBOR data has bytes after its item")
    return texts
