"""Golden build: the fixture seeds give exactly tests/golden/site/, and two builds are byte-identical.

After a deliberate change to the output, regenerate with `python tests/golden/regenerate.py` and
review `git diff tests/golden`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from site_build import build_site, golden_files

from conftest import ROOT

GOLDEN = ROOT / "tests" / "golden" / "site"
REGENERATE = "python tests/golden/regenerate.py"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return build_site(tmp_path_factory.mktemp("golden") / "_site")


def test_build_matches_the_golden_tree_byte_for_byte(built):
    expected = {path.relative_to(GOLDEN).as_posix(): path.read_bytes()
                for path in sorted(GOLDEN.rglob("*")) if path.is_file()}
    actual = golden_files(built)
    assert sorted(actual) == sorted(expected), f"files differ; if intended, run {REGENERATE}"
    changed = [name for name in expected if actual[name] != expected[name]]
    assert not changed, f"{changed} differ from tests/golden/site; if intended, run {REGENERATE}"


def test_static_files_are_copied_verbatim_but_for_script_comments(built):
    from paper_catalogue.render import shipped_script

    sources = {p.relative_to(ROOT / "static").as_posix(): shipped_script(p.read_bytes()) if p.suffix == ".js"
               else p.read_bytes() for p in (ROOT / "static").rglob("*") if p.is_file()}
    copied = {p.relative_to(built / "static").as_posix(): p.read_bytes()
              for p in (built / "static").rglob("*") if p.is_file()}
    assert copied == sources


def every_file(site: Path) -> dict[str, bytes]:
    """Every file of a build but Pagefind's bundle, whose index is not byte-for-byte reproducible."""
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*")
            if p.is_file() and not p.relative_to(site).as_posix().startswith("pagefind/")}


def test_two_builds_of_the_same_input_are_byte_identical(built, tmp_path):
    again = build_site(tmp_path / "_site")
    first, second = every_file(built), every_file(again)
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []
