"""The build cache: data computed by earlier builds, reused when its inputs are byte-for-byte the same.

It holds data, never the output's files: parsed seed files, the merged catalogue, topic
assignments, related links, the finished search bundle, and which inputs the output folder was
last built from. Every entry is keyed by a digest of everything it was computed from, this
package's own source included, so a stale entry can never be used: it is simply never asked for
again. The cache is best-effort: an entry that cannot be read or written is a miss, never an
error. It lives outside the output folder (default `.catalogue-cache/`), so it is never published.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parent


def digest(*parts: bytes | str) -> str:
    """A hex digest of the parts, with their boundaries (so ("ab", "c") != ("a", "bc"))."""
    hasher = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        hasher.update(len(data).to_bytes(8, "little"))
        hasher.update(data)
    return hasher.hexdigest()


@lru_cache(maxsize=1)
def code_version() -> str:
    """This package's source: a cached result made by other code is never reused."""
    return digest(*(path.read_bytes() for path in sorted(PACKAGE.glob("*.py"))))


def file_digest(path: Path) -> str:
    """A file's bytes, read in blocks."""
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            hasher.update(block)
    return hasher.hexdigest()


def folder_digest(folder: Path) -> str:
    """Every file under a folder, names and bytes (an absent folder has its own digest); a file
    that cannot be read, a link to nothing included, raises OSError naming it."""
    if not folder.is_dir():
        return digest("absent", str(folder))
    parts: list[str] = []
    for path in sorted(p for p in folder.rglob("*") if not p.is_dir()):
        parts += [path.relative_to(folder).as_posix(), file_digest(path)]
    return digest(*parts)


class Cache:
    """Pickled values under a folder, one file per (kind, key)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def get(self, kind: str, key: str) -> Any:
        """The stored value, or None on a miss (values are never None)."""
        if self.folder is None:
            return None
        try:
            with open(self._path(kind, key), "rb") as handle:
                return pickle.load(handle)
        except Exception:  # noqa: BLE001 - a damaged or missing entry is a miss, whatever broke
            return None

    def put(self, kind: str, key: str, value: Any) -> None:
        if self.folder is None:
            return
        path = self._path(kind, key)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(temporary, "wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)  # readers see the whole entry or none
        except OSError:
            temporary.unlink(missing_ok=True)

    def _path(self, kind: str, key: str) -> Path:
        return self.folder / kind / f"{key}.pickle"

    def output_is(self, out_dir: Path, site_key: str) -> bool:
        """Whether out_dir was built from inputs with this key and nobody has changed it since."""
        record = self.get("output", digest(str(out_dir.absolute())))
        return record is not None and record[0] == site_key and out_dir.is_dir() and scan(out_dir) == record[1]

    def record_output(self, out_dir: Path, site_key: str) -> None:
        """Remember what out_dir was just built from, with every file's size and mtime."""
        self.put("output", digest(str(out_dir.absolute())), (site_key, scan(out_dir)))

    def holds(self, kind: str, key: str) -> bool:
        """Whether a folder is stored under this key (restore_folder may still find it damaged)."""
        return self.folder is not None and (self.folder / kind / f"{key}.zip").is_file()

    def restore_folder(self, kind: str, key: str, target: Path) -> bool:
        """Unpack a stored folder to target (which must not exist); False on a miss."""
        if self.folder is None:
            return False
        try:
            with zipfile.ZipFile(self.folder / kind / f"{key}.zip") as archive:
                archive.extractall(target)
            return True
        except (OSError, zipfile.BadZipFile):
            shutil.rmtree(target, ignore_errors=True)
            return False

    def store_folder(self, kind: str, key: str, source: Path) -> None:
        """Store a folder as the only entry of its kind (one is all a rebuild can use).

        One uncompressed zip rather than a copy of the folder: Pagefind's bundle is 10,000 small
        files at 10,000 papers, and writing one file instead took storing it from 2.7 s to 0.5 s
        (BENCHMARKS.md); its files are compressed already."""
        if self.folder is None:
            return
        path = self.folder / kind / f"{key}.zip"
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(temporary, "w", zipfile.ZIP_STORED) as archive:
                for file in sorted(p for p in source.rglob("*") if p.is_file()):
                    archive.write(file, file.relative_to(source).as_posix())
            for old in path.parent.iterdir():
                if old != temporary:
                    old.unlink() if old.is_file() else shutil.rmtree(old, ignore_errors=True)
            os.replace(temporary, path)  # readers see the whole archive or none
        except OSError:
            temporary.unlink(missing_ok=True)


def scan(folder: Path) -> dict[str, tuple[int, int]]:
    """Size and mtime of every file under a folder, by relative path."""
    stats: dict[str, tuple[int, int]] = {}
    for parent, _, names in os.walk(folder):
        for name in names:
            info = os.lstat(os.path.join(parent, name))
            stats[os.path.relpath(os.path.join(parent, name), folder)] = (info.st_size, info.st_mtime_ns)
    return stats
