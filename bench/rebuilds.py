"""Rebuild timings: a cold build with the cache, then rebuilds after no change and after small changes.

    python bench/rebuilds.py bench/out/catalogue-10000/seeds [--work /tmp/rebuilds]

The seeds are copied into the work folder, so the originals are never touched. Four builds, each in
a fresh interpreter (bench/build_once.py) with the same output folder and cache:
  1. cold       - empty cache, no output yet;
  2. unchanged  - nothing changed;
  3. one added  - one paper appended to a seed file (the previous output is reused);
  4. two added  - a second paper appended to another (the build starts from the spare site).
Prints a Markdown table of the wall time and each stage's seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from bench.run import STAGES  # noqa: E402

ADDED = (
    "\n\nA Freshly Added Paper About Zyzzyva Consensus\n\nWe add one paper to see how much of the site a "
    "rebuild redoes. Zyzzyva is a word no other paper has.\n\n  • 3 authors\n·\nNov 20, 2026 7\n",
    "\n\nA Second Added Paper About Quokka Gossip Protocols\n\nAnother paper, so the rebuild starts from "
    "the spare site. Quokka is a word no other paper has.\n\n  • 2 authors\n·\nNov 21, 2026 3\n",
)


def build(seeds: Path, out: Path, cache: Path, site_src: Path) -> tuple[float, dict[str, float]]:
    """One build in a fresh interpreter: its wall time and the pipeline's stage timings."""
    os.sync()  # every build starts with the disk as idle as the previous one left it
    started = time.perf_counter()
    ran = subprocess.run([sys.executable, str(HERE / "build_once.py"), "--seeds", str(seeds), "--out", str(out),
                          "--site-src", str(site_src), "--cache", str(cache)],
                         capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if ran.returncode != 0:
        raise SystemExit(f"build failed: {ran.stderr.strip()[-2000:]}")
    return wall, json.loads(ran.stdout.strip().splitlines()[-1])["timings"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seeds", type=Path, help="folder of seed files to copy and build")
    parser.add_argument("--work", type=Path, default=Path("/tmp/rebuilds"),
                        help="scratch folder for the copy, the output and the cache (emptied first)")
    parser.add_argument("--site-src", type=Path, default=ROOT / "site_src")
    args = parser.parse_args(argv)
    files = sorted(args.seeds.glob("*.txt"))
    if len(files) < 2:
        parser.error(f"{args.seeds} needs at least two seed files")
    shutil.rmtree(args.work, ignore_errors=True)
    seeds, out, cache = args.work / "seeds", args.work / "_site", args.work / "cache"
    shutil.copytree(args.seeds, seeds)
    rows = []
    for label, addition, target in (("cold", None, None), ("unchanged", None, None),
                                     ("one paper added", ADDED[0], files[0].name),
                                     ("second paper added", ADDED[1], files[1].name)):
        if addition:
            with open(seeds / target, "a", encoding="utf-8") as handle:
                handle.write(addition)
        wall, timings = build(seeds, out, cache, args.site_src)
        rows.append((label, wall, timings))
        print(f"{label}: {wall:.2f} s", file=sys.stderr)
    print("| build | " + " | ".join(f"{stage} s" for stage in STAGES) + " | total s |")
    print("|---|" + "---|" * (len(STAGES) + 1))
    for label, wall, timings in rows:
        cells = [f"{timings[stage]:.2f}" if stage in timings else "-" for stage in STAGES]
        print(f"| {label} | " + " | ".join(cells) + f" | {wall:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
