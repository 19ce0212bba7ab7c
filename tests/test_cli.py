"""The command line: exit codes, --help, --strict, and the papers.json contract."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURE_SEEDS, REAL_SEEDS, REAL_SITE_SRC, ROOT
from paper_catalogue.export import read_export


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "build.py"), "--site-src", str(REAL_SITE_SRC),
                           *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def real_site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "_site"
    result = run("--seeds", REAL_SEEDS, "--out", out, "--quiet")
    assert result.returncode == 0, result.stderr
    return out


def test_help_explains_options_and_exit_codes():
    result = run("--help")
    assert result.returncode == 0
    for word in ("--out", "--seeds", "--strict", "--base-url", "exit codes"):
        assert word in result.stdout


def test_usage_error_exits_2():
    result = run("--no-such-flag")
    assert result.returncode == 2 and "usage:" in result.stderr


def test_papers_json_holds_the_real_catalogue(real_site):
    document = json.loads((real_site / "papers.json").read_text(encoding="utf-8"))
    papers = read_export(real_site)
    assert len(papers) == 254 and document["count"] == 254
    assert isinstance(document["topics"], list)
    keys = {"id", "url", "arxiv_id", "cite_key", "title", "abstract", "title_text", "abstract_text", "published",
            "upvotes", "authors", "author_names", "organization", "topics", "related", "links", "arxiv_url", "pdf_url",
            "hugging_face_url", "code_url", "code_stars", "project_url", "keywords", "sources"}
    for paper in papers:
        assert set(paper) == keys
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", paper["id"])
        assert paper["url"] == f"papers/{paper['id']}/"
        assert paper["published"] is None or re.fullmatch(r"\d{4}-\d\d-\d\d", paper["published"])
        assert paper["upvotes"] is None or isinstance(paper["upvotes"], int)
        assert paper["authors"] is None or isinstance(paper["authors"], int)
        assert paper["organization"] is None or set(paper["organization"]) == {"handle", "name"}
        assert all(set(s) == {"file", "line"} for s in paper["sources"]) and paper["sources"]
        assert all(link.startswith(("http://", "https://")) for link in paper["links"])
    assert len({p["id"] for p in papers}) == 254
    assert sum(p["published"] is not None for p in papers) == 136


def test_two_builds_are_byte_identical(tmp_path):
    outs = [tmp_path / "a", tmp_path / "b"]
    for out in outs:
        assert run("--seeds", FIXTURE_SEEDS, "--out", out, "--quiet").returncode == 0
    exports = [{path.name: path.read_bytes() for path in [out / "papers.json", *(out / "data").iterdir()]}
               for out in outs]
    assert exports[0] == exports[1] and len(exports[0]) > 2  # the index and at least two parts


def seeds_with(tmp_path, text: bytes | str) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir(exist_ok=True)
    (folder / "dump.txt").write_bytes(text if isinstance(text, bytes) else text.encode())
    return folder


BAD_DATE = "T\n\nAn abstract long enough.\n\n  • 2 authors\n·\nFeb 30, 2024\n"


def test_warnings_name_file_and_line_and_the_build_succeeds(tmp_path):
    result = run("--seeds", seeds_with(tmp_path, BAD_DATE), "--out", tmp_path / "out")
    assert result.returncode == 0
    assert re.search(r"dump\.txt:7: warning: impossible date", result.stderr)
    assert read_export(tmp_path / "out")[0]["authors"] == 2


def test_strict_makes_warnings_fatal_and_leaves_output_alone(tmp_path):
    result = run("--seeds", seeds_with(tmp_path, BAD_DATE), "--out", tmp_path / "out", "--strict")
    assert result.returncode == 1
    assert "dump.txt:7: warning" in result.stderr and "--strict" in result.stderr
    assert not (tmp_path / "out").exists()


def test_bad_encoding_exits_1_naming_file_and_offset(tmp_path):
    result = run("--seeds", seeds_with(tmp_path, b"Title\n\xfe\n"), "--out", tmp_path / "out")
    assert result.returncode == 1
    assert "dump.txt" in result.stderr and "offset 6" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("content", ["", "new\n\nSubscribe\n"])
def test_file_with_no_entry_exits_1(tmp_path, content):
    result = run("--seeds", seeds_with(tmp_path, content), "--out", tmp_path / "out")
    assert result.returncode == 1 and "dump.txt: holds no paper entry" in result.stderr


def test_empty_seeds_folder_exits_1(tmp_path):
    result = run("--seeds", tmp_path, "--out", tmp_path / "out")
    assert result.returncode == 1 and "no listing dumps (*.txt) or API records" in result.stderr and "Traceback" not in result.stderr


def test_failed_build_keeps_the_previous_output(tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    (good / "a.txt").write_text("Title\nAbstract.\n")
    out = tmp_path / "out"
    assert run("--seeds", good, "--out", out).returncode == 0
    before = (out / "papers.json").read_bytes()
    assert run("--seeds", seeds_with(tmp_path, b"\xff"), "--out", out).returncode == 1
    assert (out / "papers.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good", "out", "seeds"]


def run_on_a_terminal(*args) -> tuple[int, str]:
    """build.py with stderr on a pseudo-terminal, as from a shell: (exit code, what stderr showed)."""
    import os
    import pty

    reader, writer = pty.openpty()
    try:
        done = subprocess.run([sys.executable, str(ROOT / "build.py"), "--site-src", str(REAL_SITE_SRC),
                               *map(str, args)], cwd=ROOT,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=writer, timeout=300)
    finally:
        os.close(writer)
    shown = b""
    while True:
        try:
            chunk = os.read(reader, 65536)
        except OSError:  # EIO: the terminal's other end is closed and everything has been read
            break
        if not chunk:
            break
        shown += chunk
    os.close(reader)
    return done.returncode, shown.decode("utf-8")


def test_a_terminal_sees_each_stage_and_how_far_the_long_ones_have_got(tmp_path):
    code, shown = run_on_a_terminal("--seeds", REAL_SEEDS, "--out", tmp_path / "_site", "--no-cache")
    assert code == 0
    lines = shown.replace("\r\n", "\n").split("\n")
    finished = [re.sub(r"^.*\r", "", line).split("\x1b[K")[0] for line in lines
                if line and not re.match(r"\S+:\d+: note: ", line)]  # the build report's notes
    # What stays on screen: one line per stage, in order, each with its elapsed time.
    assert [line.split()[0] for line in finished] == ["read", "topics", "related", "render", "write", "index"]
    assert all(re.search(r"\[\d+\.\d s\]$", line) for line in finished)
    # Ticker lines came first and were overwritten in place (\r), never left on a line of their own.
    assert "related  comparing 254 papers..." in shown
    assert "rendering 254 paper pages..." in shown and "Pagefind is indexing 254 paper pages..." in shown
    assert not any(line.rstrip("\x1b[K").endswith("...") for line in finished)


def test_a_log_gets_no_progress_lines(tmp_path):
    result = run("--seeds", REAL_SEEDS, "--out", tmp_path / "_site", "--no-cache")
    assert result.returncode == 0
    assert "\r" not in result.stderr and "..." not in result.stderr and "Pagefind is indexing" not in result.stderr
