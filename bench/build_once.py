"""One real build in this process, for the harness: pipeline.build(), then its stage timings (wall and CPU) as JSON.

The build is this process's whole work, as under the command line (BuildOptions.own_process).

run.py starts this in a fresh interpreter per run, so start-up and imports count in the wall time
and the peak memory of exactly one build can be read when the process ends.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from paper_catalogue.pipeline import BuildOptions, build  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build once and print the stage timings as JSON.")
    parser.add_argument("--seeds", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--site-src", type=Path, default=ROOT / "site_src")
    parser.add_argument("--templates", type=Path, default=ROOT / "templates")
    parser.add_argument("--cache", type=Path, default=None, help="build cache (default: none, a cold build)")
    args = parser.parse_args(argv)
    result = build(BuildOptions(seeds=args.seeds, out=args.out, site_src=args.site_src,
                                templates=args.templates, cache=args.cache, own_process=True))
    json.dump({
        "timings": result.timings,
        "cpu": result.cpu,
        "papers": len(result.catalogue.papers),
        "files": result.files,
        "index_start": result.index_start,
        "warnings": len(result.warnings),
    }, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
