"""A failed build never damages the published site: exceptions, Ctrl-C, Pagefind, full disks, odd paths."""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path, PurePosixPath

import pytest

from conftest import FIXTURE_SEEDS, REAL_SEEDS, REAL_SITE_SRC, ROOT, as_from_a_terminal
from site_build import write_site
from paper_catalogue.diagnostics import BuildError
from paper_catalogue.export import read_export
from paper_catalogue.writer import RETIRED_TAG, check_output_folder, discard, remove_leftovers, safe_relative

BUILD = [sys.executable, str(ROOT / "build.py"), "--site-src", str(REAL_SITE_SRC)]


def run(*args, cwd=ROOT, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*BUILD, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=600, **kwargs)


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under folder with its bytes (None for folders): equal snapshots, identical trees."""
    return {
        str(path.relative_to(folder)): None if path.is_dir() else path.read_bytes()
        for path in sorted(folder.rglob("*"))
    }


def build_previous(tmp_path: Path) -> tuple[Path, dict]:
    """A published site from the fixture seeds, and its snapshot."""
    out = tmp_path / "_site"
    result = run("--seeds", FIXTURE_SEEDS, "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    return out, snapshot(out)


def without_search_bundle(tree: dict) -> dict:
    """Pagefind's bundle carries hashes that vary from run to run, so a rebuild may differ there."""
    return {path: data for path, data in tree.items() if path.split("/")[0] != "pagefind"}


def assert_untouched(out: Path, before: dict, rebuilt: bool = False) -> None:
    if rebuilt:
        assert without_search_bundle(snapshot(out)) == without_search_bundle(before)
    else:
        assert snapshot(out) == before
    assert [name for name in beside(out) if name != out.name] == []


def beside(out: Path, wait: float = 60.0) -> list[str]:
    """What is in the output's parent folder once the previous site, which a successful build
    deletes in a detached process (writer.discard), is gone; a folder still there after `wait`
    seconds is listed."""
    deadline = time.monotonic() + wait
    while True:
        names = sorted(path.name for path in out.parent.iterdir())
        if not any(RETIRED_TAG in name for name in names) or time.monotonic() > deadline:
            return names
        time.sleep(0.05)


def synthetic_seed(path: Path, papers: int, abstract_words: int = 150) -> Path:
    """A large, realistic spaced-layout dump with `papers` distinct entries."""
    words = "sparse attention models learn retrieval with fewer tokens and better calibration".split()
    with path.open("w", encoding="utf-8") as handle:
        for number in range(papers):
            abstract = " ".join(words[(number + i) % len(words)] for i in range(abstract_words))
            handle.write(f"Synthetic Paper Number {number} on {words[number % len(words)]}\n\n"
                         f"{abstract}.\n\n  • {number % 9 + 1} authors\n·\n"
                         f"Mar {number % 28 + 1}, 2024 {number % 50}\n\n")
    return path


# --- Exceptions in the middle of writing -------------------------------------------------------


def test_exception_in_finish_leaves_previous_site_byte_identical(tmp_path):
    out, before = build_previous(tmp_path)
    seen: list[Path] = []

    def finish(staging: Path) -> None:
        seen.append(staging)
        assert (staging / "new.html").read_bytes() == b"new"  # the whole new site was written first
        raise RuntimeError("indexing exploded")

    with pytest.raises(RuntimeError, match="indexing exploded"):
        write_site({PurePosixPath("new.html"): b"new", PurePosixPath("index.html"): b"x"}, out, finish)
    assert seen and not seen[0].exists()
    assert_untouched(out, before)


def test_pagefind_failure_in_finish_leaves_previous_site(tmp_path):
    """The real Pagefind binary, failing (nothing to index), aborts the swap."""
    out, before = build_previous(tmp_path)

    def pagefind(staging: Path) -> None:
        result = subprocess.run([sys.executable, "-m", "pagefind", "--site", str(staging),
                                 "--glob", "no-such-folder/**/*.html"],
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise BuildError(f"Pagefind failed: {result.stderr.strip().splitlines()[0]}")

    with pytest.raises(BuildError, match="Pagefind failed: .*not able to build an index"):
        write_site({PurePosixPath("index.html"): b"<html><body>new</body></html>"}, out, pagefind)
    assert_untouched(out, before)


def test_successful_swap_replaces_the_site_and_leaves_nothing_beside_it(tmp_path):
    out, before = build_previous(tmp_path)
    write_site({PurePosixPath("only.html"): b"only"}, out)
    assert snapshot(out) == {"only.html": b"only"}
    assert beside(out) == ["_site"]


def test_discard_deletes_a_folder_and_everything_in_it(tmp_path):
    folder = tmp_path / f"._site{RETIRED_TAG}1-2"
    for number in range(200):
        (folder / str(number % 20)).mkdir(parents=True, exist_ok=True)
        (folder / str(number % 20) / f"{number}.html").write_bytes(b"old")
    discard(folder)
    deadline = time.monotonic() + 60
    while folder.exists():
        assert time.monotonic() < deadline, "the detached process did not delete the folder"
        time.sleep(0.05)
    assert list(tmp_path.iterdir()) == []


def test_a_retired_leftover_goes_to_a_detached_process_and_the_build_does_not_wait(tmp_path):
    """A previous site still being deleted when the next build starts (two builds in a row, or
    serve rebuilding) is handed to writer.discard, not deleted while the build waits."""
    out = tmp_path / "_site"
    out.mkdir()
    finished = subprocess.Popen(["true"])
    finished.wait()  # a process id that no longer runs, like a build that has ended
    folder = tmp_path / f"._site{RETIRED_TAG}{finished.pid}-1"
    for number in range(2000):
        (folder / str(number % 20)).mkdir(parents=True, exist_ok=True)
        (folder / str(number % 20) / f"{number}.html").write_bytes(b"old")
    remove_leftovers(out)
    assert folder.exists()  # 2,000 files, and an interpreter to start first: not deleted yet
    assert beside(out) == ["_site"]


# RLIMIT_FSIZE makes the kernel refuse a write past the limit with EFBIG, like a disk that fills
# up mid-build; Python ignores the SIGXFSZ that comes with it, so the write raises OSError.
def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_write_failure_file_too_large_leaves_previous_site_and_names_the_file(tmp_path):
    out, before = build_previous(tmp_path)
    result = run("--seeds", REAL_SEEDS, "--out", out, preexec_fn=_limit_file_size)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    # The first file past 64 KB: a part of the export.
    assert re.search(r"cannot write data/papers-[a-z0-9]+\.json\.gz into .*: File too large", result.stderr)
    assert f"{out} left unchanged" in result.stderr
    assert_untouched(out, before)


@pytest.fixture
def small_tmpfs(tmp_path):
    """A real 3 MB tmpfs: room for the fixture site twice (output and staging), not for the real
    seeds' site. Needs mount rights (root); skipped without them."""
    mountpoint = tmp_path / "disk"
    mountpoint.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mountpoint)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", str(mountpoint)], check=True)


def test_full_disk_leaves_previous_site(small_tmpfs):
    out, before = build_previous(small_tmpfs)
    result = run("--seeds", REAL_SEEDS, "--out", out)  # about 6 MB of site on a 3 MB disk
    assert result.returncode == 1
    assert "No space left on device" in result.stderr and "Traceback" not in result.stderr
    assert_untouched(out, before)
    assert run("--seeds", FIXTURE_SEEDS, "--out", out, "--quiet").returncode == 0  # space came back


# --- Ctrl-C, SIGTERM and SIGKILL on a real build ------------------------------------------------


def _start_build_and_stop_mid_write(seeds: Path, out: Path, before: dict) -> subprocess.Popen:
    """Start a real build and freeze it (SIGSTOP) while it is writing its staging folder.

    Freezing first makes the test deterministic: it checks the build really is caught before its
    swap (staging present, output untouched) before any signal is sent; a lost race retries.
    """
    for _attempt in range(5):
        process = subprocess.Popen([*BUILD, "--seeds", str(seeds), "--out", str(out), "--quiet"],
                                   cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   preexec_fn=as_from_a_terminal)
        while process.poll() is None:
            staging = list(out.parent.glob(f".{out.name}.building-*"))
            if staging and any(staging[0].iterdir()):
                process.send_signal(signal.SIGSTOP)
                if staging[0].exists() and snapshot(out) == before:
                    return process
                break
            time.sleep(0.001)
        process.send_signal(signal.SIGCONT)
        process.communicate(timeout=300)
        shutil.rmtree(out)
        rebuilt = run("--seeds", FIXTURE_SEEDS, "--out", out, "--quiet")
        assert rebuilt.returncode == 0 and snapshot(out) == before
    pytest.fail("the build was never caught in the middle of writing")


@pytest.fixture(scope="module")
def big_seeds(tmp_path_factory):
    folder = tmp_path_factory.mktemp("big") / "seeds"
    folder.mkdir()
    synthetic_seed(folder / "big.txt", 3_000)
    return folder


@pytest.mark.parametrize("signal_number, code, said", [(signal.SIGINT, 130, "interrupted"),
                                                        (signal.SIGTERM, 130, "interrupted")])
def test_signal_mid_write_leaves_previous_site(tmp_path, big_seeds, signal_number, code, said):
    out, before = build_previous(tmp_path)
    process = _start_build_and_stop_mid_write(big_seeds, out, before)
    process.send_signal(signal_number)
    process.send_signal(signal.SIGCONT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == code, stderr
    assert said in stderr and f"{out} left unchanged" in stderr
    assert "Traceback" not in stderr
    assert_untouched(out, before)


def test_leftovers_of_a_killed_build_are_removed_by_the_next(tmp_path, big_seeds):
    out, before = build_previous(tmp_path)
    process = _start_build_and_stop_mid_write(big_seeds, out, before)
    process.kill()  # SIGKILL: no cleanup can run
    process.communicate(timeout=60)
    assert snapshot(out) == before
    assert list(tmp_path.glob("._site.building-*")), "SIGKILL should have left the staging folder"
    assert run("--seeds", FIXTURE_SEEDS, "--out", out, "--quiet").returncode == 0
    assert_untouched(out, before, rebuilt=True)  # same input, same bytes, and the leftover is gone


# --- Nothing is written outside the output folder ----------------------------------------------


@pytest.mark.parametrize("path", ["../../etc/passwd", "/abs/index.html", "..", "a/../../b", "",
                                  "a\\..\\..\\b", "C:/windows", "a\x00b"])
def test_writer_refuses_paths_outside_the_output(tmp_path, path):
    out, before = build_previous(tmp_path)
    files = {PurePosixPath("index.html"): b"new", PurePosixPath(path): b"escaped"}
    with pytest.raises(BuildError, match="refusing to write outside the output folder"):
        write_site(files, out)
    assert_untouched(out, before)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_site"]


def test_safe_relative_accepts_ordinary_paths():
    for path in ["index.html", "papers/x/index.html", "static/style.css", ".well-known/x"]:
        assert safe_relative(PurePosixPath(path)) == PurePosixPath(path)


HOSTILE_PATH_TITLES = ["../../etc/passwd", "/abs", "..", ".", "/", "~root/.ssh/authorized_keys",
                       "C:\\Windows\\System32", "index.html", "%2e%2e%2f%2e%2e%2fetc"]


def test_titles_that_look_like_paths_never_write_outside_the_output(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "paths.txt").write_text("".join(f"{title}\nAn abstract for {title}.\n"
                                             for title in HOSTILE_PATH_TITLES), encoding="utf-8")
    out = tmp_path / "deep" / "_site"
    result = run("--seeds", seeds, "--out", out)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep", "seeds"]
    assert sorted(p.name for p in (tmp_path / "deep").iterdir()) == ["_site"]
    assert sorted(p.name for p in seeds.iterdir()) == ["paths.txt"]
    for path in out.rglob("*"):
        assert path.resolve().is_relative_to(out.resolve()) and not path.is_symlink()
    pages = sorted(p.parent.name for p in (out / "papers").glob("*/index.html"))
    assert len(pages) == len(HOSTILE_PATH_TITLES) - 2  # ".", "/" and "..": one paper, no word in them
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", page) for page in pages)


@pytest.mark.parametrize("case", ["working folder", "parent of working folder", "holds seeds",
                                  "a file", "a symlink"])
def test_dangerous_output_folders_are_refused_and_left_alone(tmp_path, case):
    project = tmp_path / "project"
    shutil.copytree(FIXTURE_SEEDS, project / "seeds")
    (project / "keep.txt").write_text("precious")
    out = {"working folder": Path("."), "parent of working folder": Path(".."),
           "holds seeds": project, "a file": project / "keep.txt",
           "a symlink": project / "link"}[case]
    if case == "a symlink":
        (project / "elsewhere").mkdir()
        (project / "link").symlink_to(project / "elsewhere")
    before = snapshot(tmp_path)
    cwd = project if case in ("working folder", "parent of working folder") else ROOT
    result = run("--seeds", project / "seeds", "--out", out, "--quiet", cwd=cwd)
    assert result.returncode == 1, result.stderr
    expected = {"working folder": "it holds the working folder",
                "parent of working folder": "it holds the working folder",
                "holds seeds": f"it holds the input {project / 'seeds'}",
                "a file": "exists and is not a folder", "a symlink": "is a symbolic link"}[case]
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert snapshot(tmp_path) == before


def test_check_output_folder_accepts_a_fresh_folder(tmp_path):
    check_output_folder(tmp_path / "_site", [tmp_path / "seeds"])


# --- Odd inputs through the real command line --------------------------------------------------


def odd_seeds(tmp_path: Path, kind: str) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "000_good.txt").write_text("A Good Title\nA good abstract.\n", encoding="utf-8")
    odd = folder / "001_odd.txt"
    if kind == "folder":
        odd.mkdir()
    elif kind == "broken symlink":
        odd.symlink_to(folder / "missing.txt")
    elif kind == "symlink loop":
        odd.symlink_to(odd)
    elif kind == "fifo":
        os.mkfifo(odd)
    elif kind == "non-utf8":
        odd.write_bytes(b"Title\nAbstract \xc3\x28 here\n")
    return folder


@pytest.mark.parametrize("kind, message", [
    ("folder", "001_odd.txt: is a folder"),
    ("broken symlink", "001_odd.txt: broken symbolic link"),
    ("symlink loop", "001_odd.txt: cannot be read (Too many levels of symbolic links)"),
    ("fifo", "001_odd.txt: is not a regular file (a named pipe)"),
    ("non-utf8", "001_odd.txt: not UTF-8: invalid byte at offset 15 (line 2)"),
])
def test_odd_seed_paths_are_clear_errors(tmp_path, kind, message):
    seeds = odd_seeds(tmp_path, kind)
    result = run("--seeds", seeds, "--out", tmp_path / "out")
    assert result.returncode == 1
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_empty_seeds_folder_is_a_clear_error(tmp_path):
    (tmp_path / "seeds").mkdir()
    result = run("--seeds", tmp_path / "seeds", "--out", tmp_path / "out")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "seeds: seeds folder holds no listing dumps (*.txt) or API records" in result.stderr


def test_unreadable_seed_file_is_a_clear_error(tmp_path):
    """chmod 000 stops everyone but root; as root the build runs without the capabilities that
    let root ignore file permissions (setpriv), so it meets a real EACCES too."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "secret.txt").write_text("Title\nAbstract.\n")
    (seeds / "secret.txt").chmod(0o000)
    prefix = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: root reads any file")
        prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]
    result = subprocess.run([*prefix, *BUILD, "--seeds", str(seeds), "--out", str(tmp_path / "out")],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    assert "secret.txt: cannot be read (Permission denied)" in result.stderr
    assert "Traceback" not in result.stderr


def test_control_characters_are_removed_with_a_warning(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "c.txt").write_bytes(b"Nul\x00Title\x1b[31m\nAbstract\x7f with\x0cform feed \xef\xbf\xbf.\n")
    result = run("--seeds", seeds, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "c.txt:1: warning: removed 2 control" in result.stderr
    assert "c.txt:2: warning: removed 2 control" in result.stderr
    [exported] = read_export(tmp_path / "out")
    assert (exported["title"], exported["abstract"]) == ("NulTitle[31m", "Abstract with form feed .")
    assert run("--seeds", seeds, "--out", tmp_path / "out", "--strict").returncode == 1


def test_output_path_the_terminal_cannot_show_does_not_crash(tmp_path):
    out = os.fsdecode(bytes(tmp_path) + b"/out\xff")
    result = run("--seeds", FIXTURE_SEEDS, "--out", out, env={**os.environ, "PYTHONIOENCODING": "ascii"})
    assert result.returncode == 0, result.stderr
    assert "built" in result.stdout and "\\udcff" in result.stdout


# --- Memory: reading never holds several copies of a file --------------------------------------

MEASURE = """
import resource, sys, tracemalloc
from pathlib import Path
from paper_catalogue.seeds import read_seed_file
tracemalloc.start()
result = read_seed_file(Path(sys.argv[1]), capture_year=2025)
kept, peak = tracemalloc.get_traced_memory()
text = sum(len(entry.title) + len(entry.abstract) for entry in result.entries)
print(len(result.entries), text, kept, peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def peak_reading(path: Path) -> dict[str, int]:
    """What reading one file in a fresh process costs, in bytes: the peak, what the entries keep
    (their text plus pydantic's per-object overhead), and the process's maximum RSS."""
    result = subprocess.run([sys.executable, "-c", MEASURE, str(path)], cwd=ROOT,
                            capture_output=True, text=True, timeout=600, check=True)
    entries, text, kept, peak, rss = map(int, result.stdout.split())
    return {"entries": entries, "text": text, "kept": kept, "peak": peak, "rss": rss}


def assert_streamed(path: Path, entries: int) -> dict[str, int]:
    """Reading holds the file once, as the entries' text; no further copy passes through memory.

    Reading a whole file, or splitting it into a list of lines, would add at least one more copy
    of the file on top of what the entries keep; the margin allowed here is a quarter of it.
    """
    size = path.stat().st_size
    cost = peak_reading(path)
    assert cost["entries"] == entries
    assert cost["text"] > 0.9 * size  # the entries really hold the file's text ...
    transient = cost["peak"] - cost["kept"]
    assert transient < size / 4, f"reading needed {transient / 2**20:.1f} MiB beyond its result"
    return cost


def test_reading_a_10_mb_file_holds_one_copy(tmp_path):
    assert_streamed(synthetic_seed(tmp_path / "big.txt", 9_000), 9_000)  # about 10 MB


@pytest.mark.slow
def test_reading_a_50_mb_file_holds_one_copy(tmp_path):
    path = synthetic_seed(tmp_path / "big.txt", 45_000)  # about 50 MB
    cost = assert_streamed(path, 45_000)
    print(f"\n50 MB reading: file {path.stat().st_size / 2**20:.1f} MiB, "
          + ", ".join(f"{key} {value / 2**20:.1f} MiB" for key, value in cost.items() if key != "entries"))


def test_one_huge_line_with_cr_endings_is_read_once(tmp_path):
    """A 10 MB file with CR-only endings used to arrive as one readline(); now it streams."""
    path = tmp_path / "cr.txt"
    line = b"word " * 2000
    path.write_bytes(b"".join(b"Title %d\r%s\r" % (n, line) for n in range(1000)))
    assert_streamed(path, 1000)
