"""Shared fixtures: paths to the real seeds and the tiny fixture catalogue, a copy of it, and a seed-file writer."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REAL_SEEDS = ROOT / "seeds"
FIXTURE_SEEDS = ROOT / "tests" / "fixtures" / "seeds"
FIXTURE_SITE_SRC = ROOT / "tests" / "fixtures" / "site_src"


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
