"""The only stage that touches the output: write every file into a staging folder, then swap it in.

A build that fails anywhere (an exception, Ctrl-C, a full disk, a Pagefind error) removes its
staging folder and leaves the previous output exactly as it was.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath

from .diagnostics import BuildError


def safe_relative(path: PurePosixPath) -> PurePosixPath:
    """Refuse any output path that could land outside the output folder."""
    if path.is_absolute() or ".." in path.parts or not path.parts or "" in path.parts:
        raise BuildError(f"refusing to write outside the output folder: {str(path)!r}")
    return path


def write_site(
    files: Mapping[PurePosixPath, bytes],
    out_dir: Path,
    finish: Callable[[Path], None] | None = None,
) -> None:
    """Write `files` under a staging folder beside `out_dir`, run `finish` on it, then swap it in."""
    out_dir = out_dir.absolute()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.with_name(f".{out_dir.name}.building-{os.getpid()}")
    retired = out_dir.with_name(f".{out_dir.name}.previous-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir()
        made: set[Path] = {staging}
        for relative in sorted(files):
            target = staging.joinpath(*safe_relative(relative).parts)
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            target.write_bytes(files[relative])
        if finish is not None:
            finish(staging)
        _swap(staging, out_dir, retired)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap(staging: Path, out_dir: Path, retired: Path) -> None:
    """Replace out_dir with staging; the old site stays in place until the new one is ready."""
    shutil.rmtree(retired, ignore_errors=True)
    if out_dir.exists():
        os.rename(out_dir, retired)
    try:
        os.rename(staging, out_dir)
    except BaseException:
        if retired.exists() and not out_dir.exists():
            os.rename(retired, out_dir)
        raise
    shutil.rmtree(retired, ignore_errors=True)
