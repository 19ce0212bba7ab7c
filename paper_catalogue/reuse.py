"""What a build may keep of the previous output: unchanged files, and the search index when no page changed.

After each build the cache records the output's render key, every file's size and mtime, and a
hash of each rendered file. The next build trusts the previous output only if it is still
exactly as recorded (nobody edited it), and then: keeps it whole when the render key is the same,
or links the files whose bytes are unchanged instead of writing them again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .cache import Cache, digest
from .render import PageReuse

PAGEFIND_DIR = "pagefind"


@dataclass(frozen=True)
class OutputRecord:
    render_key: str
    stats: dict[str, tuple[int, int]]
    """Every file of the output: relative path -> (size, mtime in ns)."""
    hashes: dict[str, str]
    """Every rendered file (not Pagefind's): relative path -> hash of its bytes."""
    views: dict[str, str] = field(default_factory=dict)
    """Every paper page: relative path -> digest of the view it was rendered from."""


def scan(out_dir: Path) -> dict[str, tuple[int, int]]:
    """Size and mtime of every file under the output folder."""
    stats: dict[str, tuple[int, int]] = {}
    root = str(out_dir)
    for folder, _, names in os.walk(out_dir):
        for name in names:
            path = os.path.join(folder, name)
            info = os.stat(path, follow_symlinks=False)
            stats[os.path.relpath(path, root).replace(os.sep, "/")] = (info.st_size, info.st_mtime_ns)
    return stats


def content_hashes(files: dict[PurePosixPath, bytes]) -> dict[str, str]:
    return {str(path): hashlib.sha1(data, usedforsecurity=False).hexdigest() for path, data in files.items()}


class PreviousOutput:
    """The previous build's output, if it is still exactly what that build wrote."""

    def __init__(self, cache: Cache, out_dir: Path) -> None:
        self.cache = cache
        self.out_dir = out_dir
        self.key = digest("output", str(out_dir.resolve()))
        record = cache.get("output", self.key)
        self.record: OutputRecord | None = (
            record if isinstance(record, OutputRecord) and out_dir.is_dir() and scan(out_dir) == record.stats
            else None)

    def up_to_date(self, render_key: str) -> bool:
        """The output is what this render would write, byte for byte: nothing to do."""
        return self.record is not None and self.record.render_key == render_key

    def unchanged(self, hashes: dict[str, str]) -> frozenset[PurePosixPath]:
        """Files whose new bytes equal those already in the output: linked, not written."""
        if self.record is None:
            return frozenset()
        old = self.record.hashes
        return frozenset(PurePosixPath(path) for path, value in hashes.items() if old.get(path) == value)

    def search_index_reusable(self, hashes: dict[str, str], unchanged: frozenset[PurePosixPath]) -> bool:
        """Pagefind reads only the HTML pages: when none changed, its previous bundle still fits."""
        if self.record is None or not (self.out_dir / PAGEFIND_DIR).is_dir():
            return False
        pages = {path for path in hashes if path.endswith(".html")}
        old_pages = {path for path in self.record.hashes if path.endswith(".html")}
        return pages == old_pages and all(PurePosixPath(path) in unchanged for path in pages)

    def page_reuse(self) -> PageReuse | None:
        """The previous paper pages and their view digests, when the output is still as recorded."""
        views = getattr(self.record, "views", None)  # a record from before views were kept has none
        return PageReuse(self.out_dir, views) if views else None

    def link_search_index(self, staging: Path) -> None:
        shutil.copytree(self.out_dir / PAGEFIND_DIR, staging / PAGEFIND_DIR, copy_function=os.link)

    def remember(self, render_key: str, hashes: dict[str, str], views: dict[str, str]) -> None:
        """Record the output just swapped in, for the next build."""
        self.cache.put("output", self.key, OutputRecord(render_key, scan(self.out_dir), hashes, views))
