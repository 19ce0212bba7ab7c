"""Fault injection over every input a site owner edits: the build stops with a located error and
leaves the output alone; the preview keeps serving, shows the error, and recovers once it is fixed."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import FIXTURE_SEEDS, FIXTURE_SITE_SRC, ROOT
from serve_process import ServeProcess

OVERRIDES = """\
# Pins: the first paper is in the catalogue; the second is not (a fork's sample pin), which is fine.
speculative-decoding-with-a-draft-model = ["inference"]
a-paper-this-catalogue-lacks = ["alignment"]
"""
SNAPKV = "snapkv-llm-knows-what-you-are-looking-for-before-generation"


def replace(old: str, new: str, line_of: str | None = None) -> Callable[[Path], int]:
    """Replace the first `old` in the file; the fault is on the line where `old` (or `line_of`) starts."""
    def change(path: Path) -> int:
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {path}"
        at = text.index(old)
        path.write_text(text[:at] + new + text[at + len(old):], encoding="utf-8")
        return text[:text.index(line_of or old)].count("\n") + 1
    return change


def append(line: str) -> Callable[[Path], int]:
    def change(path: Path) -> int:
        text = path.read_text(encoding="utf-8")
        text = text if text.endswith("\n") else text + "\n"
        path.write_text(text + line + "\n", encoding="utf-8")
        return text.count("\n") + 1
    return change


def undecodable(path: Path) -> int:
    """A byte that is not UTF-8 at the start of the third line."""
    lines = path.read_bytes().split(b"\n")
    lines[2] = b"\xff" + lines[2]
    path.write_bytes(b"\n".join(lines))
    return 3


def dangling_link(path: Path) -> None:
    """A file that cannot be read, whoever runs the tests (root reads any file it may open)."""
    path.symlink_to(path.parent / "no-such-file")
    return None


@dataclass(frozen=True)
class Fault:
    name: str
    file: str
    """Relative to the project folder, as the error must name it."""
    change: Callable[[Path], int | None]
    """Breaks the file; returns the line the error must name (None: the file as a whole)."""
    says: str
    """A piece of the message."""

    def __str__(self) -> str:
        return self.name


PAPER = "templates/paper.html"
FAULTS = [
    Fault("template-syntax", PAPER, replace("<dl class=\"facts\">", "{% if %}<dl class=\"facts\">"),
          "Expected an expression"),
    Fault("template-unknown-filter", PAPER, replace("{{ paper.abstract_html }}", "{{ paper.abstract_html | shout }}"),
          "No filter named 'shout'"),
    Fault("template-misspelt-attribute", PAPER, replace("{{ paper.abstract_html }}", "{{ paper.abstrakt_html }}"),
          "has no attribute 'abstrakt_html'"),
    Fault("template-misspelt-variable", PAPER, replace("{{ paper.abstract_html }}", "{{ papr.abstract_html }}"),
          "'papr' is undefined; check the spelling"),
    Fault("template-missing-include", PAPER,
          replace("<h1 ", '{% include "partials/missing.html" %}<h1 '),
          "template 'partials/missing.html' not found"),
    Fault("template-not-utf8", "templates/base.html", undecodable, "not UTF-8"),
    Fault("template-unreadable", "templates/extra.html", dangling_link, "cannot be read"),
    Fault("site-unknown-key", "site_src/site.toml", append('titel = "Mine"'), "unknown setting 'titel'"),
    Fault("site-wrong-type", "site_src/site.toml", append('papers_per_page = "ten"'),
          "papers_per_page: Input should be a valid integer"),
    Fault("site-syntax", "site_src/site.toml", append('language = = "en"'), "not valid TOML"),
    Fault("topics-missing-field", "site_src/topics.toml", replace('name = "Alignment"\n', "", line_of='[[topic]]\nslug = "alignment"'),
          "topic.1.name: Field required"),
    Fault("topics-wrong-type", "site_src/topics.toml", replace('"dpo" = 4', '"dpo" = "high"'),
          "Input should be a valid number"),
    Fault("topics-duplicate-slug", "site_src/topics.toml", replace('slug = "alignment"', 'slug = "inference"',
                                                                       line_of='[[topic]]\nslug = "alignment"'),
          "topic slug 'inference' is defined twice"),
    Fault("topics-term-never-matches", "site_src/topics.toml", replace('"dpo" = 4', '"d*po" = 4'),
          "term 'd*po' can never match"),
    Fault("topics-term-without-letters", "site_src/topics.toml", replace('"dpo" = 4', '"--" = 4'),
          "term '--' has no letters or digits"),
    Fault("overrides-wrong-type", "site_src/topic_overrides.toml", append(f'{SNAPKV} = "inference"'),
          f"topics for '{SNAPKV}' must be a non-empty list"),
    Fault("overrides-unknown-topic", "site_src/topic_overrides.toml", append(f'{SNAPKV} = ["nonsense"]'),
          "unknown topic 'nonsense'"),
    Fault("overrides-duplicate-paper", "site_src/topic_overrides.toml",
          append('speculative-decoding-with-a-draft-model = ["alignment"]'), "Cannot overwrite a value"),
    Fault("page-not-utf8", "site_src/pages/colophon.md", undecodable, "not UTF-8"),
    Fault("page-unreadable", "site_src/pages/gone.md", dangling_link, "cannot be read"),
    Fault("static-unreadable", "static/gone.css", dangling_link, "cannot be read"),
]


def located(fault: Fault, line: int | None) -> str:
    return f"{fault.file}:{line}: error: " if line else f"{fault.file}: error: "


class Broken:
    """A fault applied to a project; fix() puts the file back as it was."""

    def __init__(self, project: Path, fault: Fault) -> None:
        self.path = project / fault.file
        self.before = self.path.read_bytes() if self.path.exists() else None
        self.line = fault.change(self.path)

    def fix(self) -> None:
        self.path.unlink(missing_ok=True)
        if self.before is not None:
            self.path.write_bytes(self.before)


def make_project(folder: Path) -> Path:
    """The fixture catalogue laid out as a site owner's project: seeds, site_src, templates, static."""
    shutil.copytree(FIXTURE_SEEDS, folder / "seeds")
    shutil.copytree(FIXTURE_SITE_SRC, folder / "site_src")
    (folder / "site_src" / "topic_overrides.toml").write_text(OVERRIDES, encoding="utf-8")
    shutil.copytree(ROOT / "templates", folder / "templates")
    shutil.copytree(ROOT / "static", folder / "static")
    return folder


def build(project: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "build.py"), "--no-cache", *extra], cwd=project,
                          capture_output=True, text=True, timeout=600)


def snapshot(folder: Path) -> dict[str, str]:
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The project with a good _site, built once with --strict: no warning to begin with."""
    project = make_project(tmp_path_factory.mktemp("faults") / "project")
    result = build(project, "--strict", "--quiet")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return project


# --- the build ------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", FAULTS, ids=str)
def test_a_fault_stops_the_build_with_a_located_error_and_the_output_untouched(fault, built, tmp_path):
    project = tmp_path / "project"
    shutil.copytree(built, project, symlinks=True)
    before = snapshot(project / "_site")
    broken = Broken(project, fault)
    result = build(project)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert located(fault, broken.line) + "" in result.stderr, result.stderr
    assert fault.says in result.stderr, result.stderr
    assert result.stderr.rstrip().endswith("_site left unchanged"), result.stderr
    assert snapshot(project / "_site") == before
    # Fixed, the next build goes through.
    broken.fix()
    fixed = build(project, "--strict", "--quiet")
    assert fixed.returncode == 0 and fixed.stderr == "", fixed.stderr


# --- the preview ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    project = make_project(tmp_path_factory.mktemp("preview") / "project")
    running = ServeProcess(project)
    running.project = project
    yield running
    running.kill()


@pytest.mark.parametrize("fault", FAULTS, ids=str)
def test_the_preview_shows_a_fault_keeps_serving_and_recovers(fault, preview):
    status, good = preview.get()
    assert status == 200
    start = len(preview.seen)
    broken = Broken(preview.project, fault)
    try:
        preview.wait_for("err", "the preview shows the last good site", since=start)
        printed = "".join(line for name, line in preview.seen[start:] if name == "err")
        assert located(fault, broken.line) in printed and fault.says in printed, printed
        assert "Traceback" not in printed, printed
        # The last good site is still served, and a page opened now is told what failed, where.
        assert preview.get() == (200, good)
        events = preview.events(wait=1.0)
        assert [name for name, _ in events] == ["build", "failed"], events
        problems = json.loads(events[1][1])["problems"]
        assert any(problem["file"] == fault.file and problem["line"] == (broken.line or 0)
                   and fault.says in problem["message"] for problem in problems), problems
        if broken.line:
            shown = next(problem for problem in problems if problem["file"] == fault.file)
            assert [line["number"] for line in shown["context"] if line["at"]] == [broken.line]
    finally:
        fixed = len(preview.seen)
        broken.fix()
    preview.wait_for("out", "updated (", since=fixed)
    # Recovered: a page opening now is told of a good build only (the server learns that the
    # build succeeded just after the build prints so), and the site still answers.
    deadline = time.monotonic() + 30
    while (names := [name for name, _ in preview.events(wait=0.5)]) != ["build"]:
        assert time.monotonic() < deadline, names
    assert preview.get()[0] == 200


def test_ctrl_c_stops_the_preview_with_exit_0_while_a_build_is_failing(tmp_path):
    project = make_project(tmp_path / "project")
    running = ServeProcess(project)
    try:
        Broken(project, FAULTS[0])
        running.wait_for("err", "the preview shows the last good site")  # the update is failing now
        assert running.interrupt() == 0
        assert "Traceback" not in running.printed("err") + running.printed("out")
    finally:
        running.kill()
