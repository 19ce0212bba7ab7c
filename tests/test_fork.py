"""A fork with its own catalogue stays green: other papers and other pages, with the seeds'
taxonomy and sample topic pins, build with --strict, and the project's tests pass on it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT

FORK_SEEDS = FIXTURES / "fork" / "seeds"
"""300 papers of Hugging Face Daily Papers 2024 (none of them in seeds/), in the spaced layout."""
LEFT_OUT = (".git", ".venv", "_site", "._site.*", ".catalogue-cache", "out", "__pycache__", ".pytest_cache",
            ".hypothesis", "*.egg-info")
"""What a fresh clone lacks: the local environment, caches and build output."""
ABOUT = """\
# About this catalogue

A reading list kept by [our lab](https://lab.example.org/people/) since 2024,
with papers from <https://huggingface.co/papers>.
"""
TESTS = ["tests/test_catalogue.py", "tests/test_topics.py", "tests/test_fuzz.py", "tests/test_crawl.py",
         "tests/test_site.py", "tests/test_pagination.py", "tests/test_golden.py", "tests/test_csp.py",
         "tests/test_escaping.py", "tests/test_cli.py", "tests/test_workflow.py"]
"""The tests that once read the site's own seeds/ and site_src/."""


@pytest.fixture(scope="module")
def fork(tmp_path_factory) -> Path:
    """A copy of the project whose seeds/ and site_src/pages/ hold someone else's catalogue."""
    root = tmp_path_factory.mktemp("fork") / "catalogue"
    shutil.copytree(ROOT, root, ignore=shutil.ignore_patterns(*LEFT_OUT))
    shutil.rmtree(root / "seeds")
    shutil.copytree(FORK_SEEDS, root / "seeds")
    pages = root / "site_src" / "pages"
    shutil.rmtree(pages)
    pages.mkdir()
    (pages / "about.md").write_text(ABOUT, encoding="utf-8")
    return root


def test_a_fork_builds_with_strict_and_no_warnings(fork):
    result = subprocess.run([sys.executable, "build.py", "--strict", "--no-cache"], cwd=fork,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # not a warning left
    assert "built 300 papers" in result.stdout
    # The sample pins name papers this catalogue lacks: the report says so, and nothing fails.
    assert "overrides for papers not in the catalogue: " in result.stdout
    about = (fork / "_site" / "about" / "index.html").read_text(encoding="utf-8")
    assert '<a href="https://lab.example.org/people/" rel="noreferrer">our lab</a>' in about


def test_the_tests_that_read_the_site_content_pass_on_a_fork(fork):
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                             "-m", "not browser and not slow", *TESTS],
                            cwd=fork, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout
