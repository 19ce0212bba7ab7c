"""The only stage that touches the output: write every file into a staging folder, then swap it in.

A build that fails anywhere (an exception, Ctrl-C, a full disk, a Pagefind error) removes its
staging folder and leaves the previous output exactly as it was. A build that succeeds deletes
the previous output in a detached process once the new one is in place. Nothing is written
outside the output folder and its staging sibling.
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
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from .diagnostics import BuildError

STAGING_TAG = ".building-"
RETIRED_TAG = ".previous-"


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


class StagedSite:
    """The staging folder of a build in progress."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._folders: set[Path] = {folder}
        """Folders made so far: each is made once, not once per file."""

    def write(self, files: Mapping[PurePosixPath, bytes]) -> None:
        """Write files into the folder; a file that exists already is an error, never overwritten."""
        _write_files(files, self.folder, self._folders)


@contextmanager
def staged_site(out_dir: Path) -> Iterator[StagedSite]:
    """A staging folder beside `out_dir` that replaces it when the block ends without an error.

    Whatever ends the block early (an exception, Ctrl-C, a full disk, a Pagefind error) removes
    the staging folder and leaves the previous output exactly as it was.
    """
    check_output_folder(out_dir)
    out_dir = out_dir.absolute()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out_dir)
    staging = out_dir.with_name(f".{out_dir.name}{STAGING_TAG}{os.getpid()}")
    # Named uniquely: the previous build's one may still be being deleted (discard).
    retired = out_dir.with_name(f".{out_dir.name}{RETIRED_TAG}{os.getpid()}-{time.time_ns()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir()
        yield StagedSite(staging)
        with _signals_deferred():
            _swap(staging, out_dir, retired)
    except BaseException:
        with _signals_deferred():
            shutil.rmtree(staging, ignore_errors=True)
        raise
    if retired.exists():
        discard(retired)


def discard(folder: Path) -> None:
    """Delete a folder in a detached process, so the build ends as soon as its site is in place.

    The previous site is 30,000 files at 10,000 papers; deleting them took longer than the rest of
    a rebuild after a template edit (BENCHMARKS.md). If the process dies first (power loss), the
    folder is a leftover that the next build removes (remove_leftovers).
    """
    subprocess.Popen([sys.executable, "-c", "import shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)",
                      os.fspath(folder)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True)


def _write_files(files: Mapping[PurePosixPath, bytes], staging: Path, made: set[Path]) -> None:
    for relative in sorted(files):
        target = staging.joinpath(*safe_relative(relative).parts)
        try:
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            with open(target, "xb") as handle:  # "x": never follow or overwrite anything
                handle.write(files[relative])
        except OSError as error:
            raise BuildError(f"cannot write {relative} into {staging.name}: "
                             f"{error.strerror or error}") from error


def remove_leftovers(out_dir: Path) -> None:
    """Remove staging and retired folders that builds killed outright (SIGKILL, power loss) left.

    A folder whose process is still alive belongs to a build running now and is left alone. A
    retired site goes to a detached process, as after a build (discard): it may be the one the
    last build's process is still deleting, and this build need not wait for it. A staging folder
    goes now, since a new build whose process has the same id will make one of the same name.
    """
    for folder in _abandoned(out_dir, STAGING_TAG):
        shutil.rmtree(folder, ignore_errors=True)
    for folder in _abandoned(out_dir, RETIRED_TAG):
        discard(folder)


def _abandoned(out_dir: Path, tag: str) -> list[Path]:
    folders = out_dir.parent.glob(f".{glob.escape(out_dir.name)}{tag}*")
    return [folder for folder in folders if abandoned(folder.name[len(out_dir.name) + 1 + len(tag):].split("-")[0])]


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
