"""Rebuild the golden site, tests/golden/site/, from tests/fixtures: `python tests/golden/regenerate.py`.

Run it after a deliberate change to the output, then review `git diff tests/golden` before committing:
the diff is exactly what the change does to a built site.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "site"
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from site_build import build_site, golden_files  # noqa: E402 - needs the paths above


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        built = build_site(Path(scratch) / "_site")
        if GOLDEN.exists():
            shutil.rmtree(GOLDEN)
        for relative, data in golden_files(built).items():
            target = GOLDEN / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    print(f"wrote {len(list(GOLDEN.rglob('*.*')))} files to {GOLDEN.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
