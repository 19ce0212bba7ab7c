"""Shared fixtures: paths to the test catalogues and the site's own content, a copy of the tiny
catalogue, and a seed-file writer.

The engine's tests read tests/fixtures only, so a fork that replaces seeds/ and site_src/ with
its own catalogue, or deletes site_src's optional files, keeps them green; only checks that hold for any content (valid HTML, links
that resolve, escaping) build the site's own SITE_SEEDS and SITE_SRC."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
FIXTURE_SEEDS = FIXTURES / "seeds"
FIXTURE_SITE_SRC = FIXTURES / "site_src"
"""The tiny catalogue: a few papers in each listing layout, with a small taxonomy and pages."""
REAL_SEEDS = FIXTURES / "sample" / "seeds"
REAL_SITE_SRC = FIXTURES / "sample" / "site_src"
"""A real catalogue: four Hugging Face listing dumps (268 entries), with the taxonomy, topic
overrides and pages written for them."""
SITE_SEEDS = ROOT / "seeds"
SITE_SRC = ROOT / "site_src"
"""The site's own content, whatever it is (every file of site_src/ is optional, and the folder
too): only for checks that hold for any content."""


@pytest.fixture
def seeds(tmp_path) -> Path:
    """A copy of the fixture seeds that a test may edit (a rebuild after a change)."""
    folder = tmp_path / "seeds"
    shutil.copytree(FIXTURE_SEEDS, folder)
    return folder


@pytest.fixture
def write_seed(tmp_path):
    """Write text (or bytes) as a seed file in a fresh folder and return its path."""
    folder = tmp_path / "seeds"
    folder.mkdir()

    def write(content: str | bytes, name: str = "dump.txt") -> Path:
        path = folder / name
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return path

    return write


def outputs_under_hash_seeds(script: str, seeds: tuple[str, ...] = ("1", "2")) -> list[str]:
    """What a Python script prints in fresh interpreters with different string-hash seeds:
    equal outputs mean no set or dict order leaked into the result."""
    return [
        subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                       env={"PYTHONHASHSEED": seed, "PATH": ""}, check=True).stdout
        for seed in seeds
    ]


def as_from_a_terminal() -> None:
    """For Popen's preexec_fn: Ctrl-C as a terminal delivers it. A shell starts background jobs with
    SIGINT ignored, and a process inherits that; a program run from a terminal has the default,
    which Python turns into KeyboardInterrupt. Tests that send SIGINT start the program so,
    however pytest itself was started."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
