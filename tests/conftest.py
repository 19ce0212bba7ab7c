"""Shared fixtures: paths to the real seeds and the tiny fixture catalogue, and a seed-file writer."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REAL_SEEDS = ROOT / "seeds"
FIXTURE_SEEDS = ROOT / "tests" / "fixtures" / "seeds"


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
