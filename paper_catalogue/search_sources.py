"""What Pagefind reads: a lean copy of each paper page, in a scratch folder kept in memory.

Pagefind indexes only a page's `data-pagefind-body` element and reads the language from `<html
lang>`, so a copy holding just those gives it the same records (the same fragments, byte for byte:
tests/test_search_sources.py) from a third of the bytes. Measured over 10,000 paper pages on this
machine's ext4 disk, Pagefind took 23.4 s (19.8 s user, 12.8 s system CPU) reading the pages in
the staging folder, 19.3 s reading lean copies on the same disk, and 15.5 s (15.2 s user, 5.5 s
system) reading lean copies on tmpfs. So the copies go to /dev/shm where there is one, else to the
system's temporary folder. They are not output: the folder is removed when the build ends, and a
folder left by a build killed outright is removed by the next one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from .diagnostics import BuildError
from .search import is_paper_page
from .writer import abandoned

SCRATCH_PREFIX = "paper-catalogue-search-"
IN_MEMORY = Path("/dev/shm")


def scratch_root() -> Path:
    """Where the copies go: tmpfs when the machine has a writable /dev/shm, else the temp folder."""
    if IN_MEMORY.is_dir() and os.access(IN_MEMORY, os.W_OK | os.X_OK):
        return IN_MEMORY
    return Path(tempfile.gettempdir())


def search_source(page: bytes) -> bytes:
    """The lean copy of one page: its `<html>` start tag (the language) and its
    `data-pagefind-body` element, which is all Pagefind reads of it.

    A page without that element is returned whole: Pagefind then leaves it out, and the page count
    check after indexing reports the template that lost its marker. The element is cut at the
    first end tag of its name: the paper template nests no element of the same name inside it.
    """
    marker = page.find(b" data-pagefind-body")
    html = page.find(b"<html")
    html_end = page.find(b">", html) + 1 if html >= 0 else 0
    start = page.rfind(b"<", 0, marker) if marker >= 0 else -1
    tag = page[start + 1:marker].split(maxsplit=1)[:1] if start >= 0 else []
    end = page.find(b"</" + tag[0] + b">", marker) if tag else -1
    if not html_end or end < 0:
        return page
    end += len(tag[0]) + 3
    return (b"<!doctype html>\n" + page[html:html_end]
            + b'\n<head><meta charset="utf-8"></head>\n<body>\n' + page[start:end] + b"\n</body>\n</html>\n")


class SearchSources:
    """The scratch folder of lean paper-page copies for one build; a context manager that removes it."""

    def __init__(self, root: Path | None = None) -> None:
        root = root or scratch_root()
        remove_leftover_sources(root)
        self.folder = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=root))
        self.pages = 0
        self._folders: set[str] = set()

    def add(self, files: Mapping[PurePosixPath, bytes]) -> None:
        """Copy the paper pages among a batch of site files, lean, at their paths in the site."""
        # Strings and os calls, not pathlib: this runs for every paper (100,000 copies took 13 s
        # through pathlib, most of it building Path objects).
        root = str(self.folder)
        for path, data in files.items():
            if not is_paper_page(path):
                continue
            parts = path.parts
            folder = f"{root}/{parts[0]}/{parts[1]}"
            try:
                if folder not in self._folders:
                    os.makedirs(folder, exist_ok=True)
                    self._folders.add(folder)
                with open(f"{folder}/{parts[2]}", "xb") as handle:  # "x": never follow or overwrite anything
                    handle.write(search_source(data))
            except OSError as error:
                raise BuildError(f"search index: cannot copy {path} for Pagefind into {self.folder}: "
                                 f"{error.strerror or error}") from error
            self.pages += 1

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> SearchSources:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def remove_leftover_sources(root: Path) -> None:
    """Remove scratch folders of builds that were killed outright; a living build's is left alone."""
    for folder in root.glob(f"{SCRATCH_PREFIX}*"):
        if abandoned(folder.name[len(SCRATCH_PREFIX):].split("-")[0]):
            shutil.rmtree(folder, ignore_errors=True)
