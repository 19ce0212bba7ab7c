"""The only stage that touches the output: write every file into a staging folder, then swap it in.

A build that fails anywhere (an exception, Ctrl-C, a full disk, a Pagefind error) removes its
staging folder and leaves the previous output exactly as it was. Nothing is written outside the
output folder, its staging sibling and, with a build cache, the spare site kept in the cache
(besides the scratch copies of pages that Pagefind reads: search_sources.py).

The spare: the site a swap retires is not deleted but moved into the cache, and the next build
starts its staging folder from it, writing only the files whose bytes differ and deleting those
no longer made. On a disk where creating and removing files costs 0.2-0.5 ms each, that is most
of what a rebuild after a small change would otherwise spend writing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import glob
import os
import shutil
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .diagnostics import BuildError
from .search import BUNDLE_DIR

STAGING_TAG = ".building-"
RETIRED_TAG = ".previous-"
TRASH_TAG = ".removing-"


@dataclass(frozen=True)
class Spare:
    """A site an earlier swap retired, kept to start the next staging folder from: where it is, and
    the hash of every rendered file in it (trusted: the caller checked it is still as recorded)."""

    folder: Path
    hashes: dict[str, str]


def safe_relative(path: PurePosixPath) -> PurePosixPath:
    """Refuse any output path that could land outside the output folder."""
    text = str(path)
    if (path.is_absolute() or ".." in path.parts or not path.parts or "" in path.parts
            or "\\" in text or "\x00" in text or path.parts[0].endswith(":")):
        raise BuildError(f"refusing to write outside the output folder: {text!r}")
    return path


def check_output_folder(out_dir: Path, inputs: Iterable[Path] = ()) -> None:
    """Refuse an output folder whose replacement would destroy something that is not a build.

    The swap deletes the previous output, so it must not be the working folder (or one holding
    it), the filesystem root, an input folder or a folder holding one, or an existing file.
    """
    out = Path(os.path.realpath(out_dir))
    if out == Path(out.anchor):
        raise BuildError(f"refusing to use the filesystem root as the output folder: {out_dir}")
    if Path.cwd().resolve().is_relative_to(out):
        raise BuildError(f"refusing to replace {out_dir}: it holds the working folder")
    for folder in inputs:
        if Path(os.path.realpath(folder)).is_relative_to(out):
            raise BuildError(f"refusing to replace {out_dir}: it holds the input {folder}")
    if Path(out_dir).is_symlink():
        raise BuildError(f"output folder {out_dir} is a symbolic link; give its target with --out")
    if out.exists() and not out.is_dir():
        raise BuildError(f"output path {out_dir} exists and is not a folder")


def write_site(
    files: Mapping[PurePosixPath, bytes],
    out_dir: Path,
    finish: Callable[[Path], None] | None = None,
    unchanged: frozenset[PurePosixPath] = frozenset(),
) -> None:
    """Write `files` under a staging folder beside `out_dir`, run `finish` on it, then swap it in.

    `finish` (Pagefind) sees the complete site; anything it raises aborts the build like any
    other failure. Errors writing a file become a BuildError naming it. Files in `unchanged`
    already hold these bytes in `out_dir`: they are hard-linked into the staging folder rather
    than written again.
    """
    with staged_site(out_dir) as site:
        site.write(files, unchanged)
        if finish is not None:
            finish(site.folder)


class StagedSite:
    """The staging folder of a build in progress: files are written into it batch by batch.

    Started from a spare, it already holds the spare's files: a file whose bytes are the same is
    kept as it is, one that differs is replaced, and prune() removes those this build did not make.
    """

    def __init__(self, folder: Path, out_dir: Path, existing: dict[str, str] | None = None) -> None:
        self.folder = folder
        self.out_dir = out_dir
        self.existing = dict(existing or {})
        """Files already in the folder (from a spare): relative path -> hash of their bytes."""
        self.from_spare = bool(existing)
        self.made: set[str] = set()
        """Every file this build wrote, linked or kept."""
        self.kept = 0
        self.removed = 0
        """Files of the spare removed so far, as no longer made."""
        self._folders: set[Path] = {folder} | {folder.joinpath(*PurePosixPath(path).parent.parts)
                                               for path in self.existing}

    def write(self, files: Mapping[PurePosixPath, bytes], unchanged: frozenset[PurePosixPath] = frozenset(),
              hashes: Mapping[str, str] | None = None) -> None:
        """Write (or, for `unchanged` files, hard-link from the current output) one batch; with
        `hashes`, files the folder already holds with those bytes are kept as they are."""
        hashes = hashes or {}
        keep = {path for path in files if self.existing.get(str(path), None) == hashes.get(str(path), "")}
        self.made.update(str(path) for path in files)
        self.kept += len(keep)
        replace = {path for path in files if str(path) in self.existing} - keep
        _write_files({path: data for path, data in files.items() if path not in keep}, self.folder, self.out_dir,
                     unchanged, self._folders, replace)

    def prune(self, only: Callable[[str], bool] | None = None) -> int:
        """Remove the files the spare held and this build did not make (of those `only` accepts);
        call once every such file is written, before Pagefind reads the pages. Returns how many
        were removed."""
        stale = sorted(path for path in set(self.existing) - self.made if only is None or only(path))
        for relative in stale:
            del self.existing[relative]
            path = self.folder.joinpath(*safe_relative(PurePosixPath(relative)).parts)
            path.unlink(missing_ok=True)
            for parent in path.parents:  # folders left empty go too: a removed paper leaves no trace
                if parent == self.folder or any(parent.iterdir()):
                    break
                parent.rmdir()
        self.removed += len(stale)
        return len(stale)


_removals: list[subprocess.Popen] = []


def _remove_in_background(folder: Path, out_dir: Path) -> None:
    """Move a folder aside at once and delete it in a child process while the build goes on.

    A process rather than a thread, so that 10,000 unlink calls never wait on the build's GIL nor
    hold it. The folder's name marks it as this process's, so one that a killed build leaves
    behind is removed by the next (see remove_leftovers).
    """
    trash = out_dir.with_name(f".{out_dir.name}{TRASH_TAG}{os.getpid()}-{len(_removals)}")
    os.rename(folder, trash)
    _removals.append(subprocess.Popen(
        [sys.executable, "-c", "import shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)", str(trash)],
        stdin=subprocess.DEVNULL, start_new_session=True))  # Ctrl-C stops the build, not the clean-up


def _finish_removals() -> None:
    while _removals:
        _removals.pop().wait()


@contextmanager
def staged_site(out_dir: Path, spare: Spare | None = None, keep_retired: Path | None = None
                ) -> Iterator[StagedSite]:
    """A staging folder beside `out_dir` that replaces it when the block ends without an error.

    With a `spare`, the staging folder is that site, moved into place; with `keep_retired`, the
    site the swap retires is moved there (the next build's spare) instead of being deleted.
    Whatever ends the block early (an exception, Ctrl-C, a full disk, a Pagefind error) removes
    the staging folder and leaves the previous output exactly as it was.
    """
    check_output_folder(out_dir)
    out_dir = out_dir.absolute()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out_dir)
    staging = out_dir.with_name(f".{out_dir.name}{STAGING_TAG}{os.getpid()}")
    retired = out_dir.with_name(f".{out_dir.name}{RETIRED_TAG}{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        site = _start_staging(staging, out_dir, spare)
        yield site
        _finish_removals()
        with _signals_deferred():
            _swap(staging, out_dir, retired)
    except BaseException:
        with _signals_deferred():
            shutil.rmtree(staging, ignore_errors=True)
        _finish_removals()
        raise
    if keep_retired is not None and retired.is_dir() and _move(retired, keep_retired):
        return
    shutil.rmtree(retired, ignore_errors=True)


def _start_staging(staging: Path, out_dir: Path, spare: Spare | None) -> StagedSite:
    if spare is not None and _move(spare.folder, staging):
        site = StagedSite(staging, out_dir, spare.hashes)
        if (staging / BUNDLE_DIR).is_dir():  # Pagefind makes a new one: removing this overlaps the build
            _remove_in_background(staging / BUNDLE_DIR, out_dir)
        return site
    staging.mkdir()
    return StagedSite(staging, out_dir)


def _move(source: Path, target: Path) -> bool:
    """Rename a folder (into or out of the cache); False when it cannot be, e.g. another disk."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(target, ignore_errors=True)
        os.rename(source, target)
        return True
    except OSError:
        return False


WRITER_THREADS = 4
"""Threads creating files at once. Creating a folder or a file costs 0.2-0.5 ms of filesystem
work on the ext4 disk this was measured on, most of it outside the GIL: four threads wrote the
10,000 page folders and files of a catalogue in 7.7 s where one took 12.2 s."""
THREADED_FROM = 64
"""Batches smaller than this are written by the calling thread alone."""


def _write_files(files: Mapping[PurePosixPath, bytes], staging: Path, out_dir: Path,
                 unchanged: frozenset[PurePosixPath], made: set[Path],
                 replace: set[PurePosixPath] = frozenset()) -> None:
    targets = [(relative, staging.joinpath(*safe_relative(relative).parts)) for relative in sorted(files)]

    def write(item: tuple[PurePosixPath, Path]) -> None:
        relative, target = item
        try:
            if target.parent not in made:
                # Two threads may make the same folder: exist_ok makes the second a no-op.
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            if relative in replace:
                target.unlink()  # a spare's file with other bytes; never written through (it may be a link)
            if relative in unchanged and _link(out_dir.joinpath(*relative.parts), target):
                return
            with open(target, "xb") as handle:  # "x": never follow or overwrite anything
                handle.write(files[relative])
        except OSError as error:
            raise BuildError(f"cannot write {relative} into {staging.name}: "
                             f"{error.strerror or error}") from error

    if len(targets) < THREADED_FROM:
        for item in targets:
            write(item)
        return
    pool = ThreadPoolExecutor(WRITER_THREADS, thread_name_prefix="write")
    try:
        for _ in pool.map(write, targets):  # re-raises the first error, in path order
            pass
    except BaseException:
        # A full disk or Ctrl-C: drop the files not started yet rather than fail on each of them.
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _link(existing: Path, target: Path) -> bool:
    """Hard-link a file the previous output already holds; False (write it instead) if that fails."""
    try:
        os.link(existing, target, follow_symlinks=False)
        return True
    except OSError:
        return False


def remove_leftovers(out_dir: Path) -> None:
    """Remove staging and retired folders that builds killed outright (SIGKILL, power loss) left.

    A folder whose process is still alive belongs to a build running now and is left alone.
    """
    for tag in (STAGING_TAG, RETIRED_TAG, TRASH_TAG):
        for folder in out_dir.parent.glob(f".{glob.escape(out_dir.name)}{tag}*"):
            if abandoned(folder.name[len(out_dir.name) + 1 + len(tag):].split("-")[0]):
                shutil.rmtree(folder, ignore_errors=True)


def abandoned(folder_pid: str) -> bool:
    """Whether a folder named with this process id was left by a build that no longer runs: one
    whose process is alive (and is not this one, whose builds clean up after themselves) is in use."""
    return not (folder_pid.isdigit() and int(folder_pid) != os.getpid() and _alive(int(folder_pid)))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while folders are renamed or removed, so neither is left half done.

    A blocked signal is delivered (and raises as usual) as soon as the block ends.
    """
    can_block = hasattr(signal, "pthread_sigmask")
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held) if can_block else None
    try:
        yield
    finally:
        if can_block:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _swap(staging: Path, out_dir: Path, retired: Path) -> None:
    """Replace out_dir with staging; the old site stays in place until the new one is ready.

    On Linux both folders trade places in one atomic step (renameat2 RENAME_EXCHANGE), so a
    visitor never sees a missing site; elsewhere two renames, undone if the second fails.
    """
    shutil.rmtree(retired, ignore_errors=True)
    if out_dir.exists() and _exchange(staging, out_dir):
        os.rename(staging, retired)  # staging now holds the previous site
        return
    if out_dir.exists():
        os.rename(out_dir, retired)
    try:
        os.rename(staging, out_dir)
    except BaseException:
        if retired.exists() and not out_dir.exists():
            os.rename(retired, out_dir)
        raise


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with renameat2; False when the system or filesystem can't."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_cwd = -100
    if renameat2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))
