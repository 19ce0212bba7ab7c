"""Rebuild timings: a cold build with the cache, then rebuilds after no change and after small changes.

    python bench/rebuilds.py bench/out/catalogue-10000/seeds [--work /tmp/rebuilds]

The seeds and templates are copied into the work folder, so the originals are never touched. Four
builds, each in a fresh interpreter (bench/build_once.py) with the same output folder and cache:
  1. cold              - empty cache, no output yet;
  2. unchanged         - nothing changed;
  3. template edited   - a comment added to templates/base.html (every page changes, the search
                         index does not);
  4. seed file added   - a new seed file of 20 papers.
Each build after the first waits until the previous site, deleted in a detached process after the
build before it ended, is gone, then --settle seconds (RECENTLY_DELETED_SECONDS), as bench/run.py
does, since that deleted a whole site. The sequence runs --runs times; prints a
Markdown table of the median wall time, each stage's median seconds, and the median ratio to the
cold build of the same sequence.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from bench.run import RECENTLY_DELETED_SECONDS, STAGES  # noqa: E402
from paper_catalogue.writer import RETIRED_TAG  # noqa: E402

ADDED_PAPERS = 20


def added_seed_file(count: int = ADDED_PAPERS) -> str:
    """A seed file of `count` new papers, in the seeds' spaced layout."""
    return "".join(
        f"\n\nAn Added Paper Number {number} About Zyzzyva Consensus\n\nWe add papers to see how much of "
        f"the site a rebuild redoes. Zyzzyva is a word no other paper has; this is paper {number}.\n\n"
        f"  • 3 authors\n·\nNov {number + 1}, 2026 7\n" for number in range(count))


def build(seeds: Path, out: Path, cache: Path, site_src: Path, templates: Path) -> tuple[float, dict[str, float]]:
    """One build in a fresh interpreter: its wall time and the pipeline's stage timings."""
    os.sync()  # every build starts with the disk as idle as the previous one left it
    started = time.perf_counter()
    ran = subprocess.run([sys.executable, str(HERE / "build_once.py"), "--seeds", str(seeds), "--out", str(out),
                          "--site-src", str(site_src), "--templates", str(templates),
                          "--cache", str(cache)],
                         capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if ran.returncode != 0:
        raise SystemExit(f"build failed: {ran.stderr.strip()[-2000:]}")
    return wall, json.loads(ran.stdout.strip().splitlines()[-1])["timings"]


BUILDS = ("cold", "unchanged", "template edited", "seed file added")


def one_sequence(args: argparse.Namespace) -> list[tuple[float, dict[str, float]]]:
    """The four builds in order, in a fresh copy of the seeds and templates with an empty cache."""
    seeds, out, cache, templates = (args.work / name for name in ("seeds", "_site", "cache", "templates"))
    if args.work.exists():  # an earlier sequence's site: wait out this disk's slow window after removing it
        shutil.rmtree(args.work)
        time.sleep(args.settle)
    shutil.copytree(args.seeds, seeds)
    shutil.copytree(ROOT / "templates", templates)
    results = []
    for label in BUILDS:
        if label == "template edited":
            with open(templates / "base.html", "a", encoding="utf-8") as handle:
                handle.write("{# edited #}\n")
        elif label == "seed file added":
            (seeds / "zz_added.txt").write_text(added_seed_file(), encoding="utf-8")
        if results:  # the last swap deleted a site: wait out this disk's slow window (see bench/run.py)
            time.sleep(args.settle)
        wall, timings = build(seeds, out, cache, args.site_src, templates)
        results.append((wall, timings))
        stages = ", ".join(f"{stage} {timings[stage]:.2f}" for stage in STAGES if stage in timings)
        print(f"{label}: {wall:.2f} s ({stages})", file=sys.stderr)
        wait_for_discarded(out)
    return results


def wait_for_discarded(out: Path) -> None:
    """Wait until the previous site, which a build deletes in a detached process after it ends
    (writer.discard), is gone: no timed build runs beside that deletion. Gives up after 10 minutes."""
    deadline = time.monotonic() + 600
    while list(out.parent.glob(f".{out.name}{RETIRED_TAG}*")) and time.monotonic() < deadline:
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seeds", type=Path, help="folder of seed files to copy and build")
    parser.add_argument("--work", type=Path, default=Path("/tmp/rebuilds"),
                        help="scratch folder for the copy, the output and the cache (emptied first)")
    parser.add_argument("--site-src", type=Path, default=ROOT / "site_src")
    parser.add_argument("--settle", type=float, default=RECENTLY_DELETED_SECONDS, metavar="SECONDS",
                        help=f"wait before each rebuild (default: {RECENTLY_DELETED_SECONDS})")
    parser.add_argument("--runs", type=int, default=3, help="sequences of four builds (default: 3); medians are shown")
    args = parser.parse_args(argv)
    runs = [one_sequence(args) for _ in range(args.runs)]
    print("| build | " + " | ".join(f"{stage} s" for stage in STAGES) + " | total s | / cold |")
    print("|---|" + "---|" * (len(STAGES) + 2))
    for number, label in enumerate(BUILDS):
        builds = [run[number] for run in runs]
        # A stage some sequence's build skipped (its cache served it) has no one median: "-".
        cells = [f"{statistics.median(t[stage] for _, t in builds):.2f}"
                 if all(stage in t for _, t in builds) else "-" for stage in STAGES]
        ratio = statistics.median(wall / run[0][0] for (wall, _), run in zip(builds, runs))
        print(f"| {label} | " + " | ".join(cells)
              + f" | {statistics.median(wall for wall, _ in builds):.2f} | {ratio:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
