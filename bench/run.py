"""The benchmark harness: synthetic catalogues of N papers, built for real, timed stage by stage.

    python bench/run.py --sizes 1000,10000 --runs 3 [--hugo] [--keep]

Each run is a fresh interpreter (bench/build_once.py), so start-up and imports count in the wall
time and the peak memory (max RSS of the build process and anything it waited for, e.g. Pagefind)
belongs to one build. Stage times come from the pipeline's own BuildResult.timings. Figures are
medians of the runs; with --hugo, Hugo builds the same papers in the same loop, run for run, and
Pagefind indexes its output: the reference time to a searchable site. "index starts" is how far
into our build Pagefind began, and "before index cpu" the CPU spent until then: Pagefind reads the
paper pages, so everything that makes them comes first.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from bench.hugo_content import write_content  # noqa: E402
from bench.corpus_seeds import write_corpus_seeds  # noqa: E402
from bench.synth import write_catalogue  # noqa: E402
from paper_catalogue.export import read_export  # noqa: E402
from paper_catalogue.search import pagefind_binary, part_folder  # noqa: E402

STAGES = ("read", "topics", "related", "render", "write", "index")
"""The pipeline's stages, as columns; a stage a build skipped shows as '-'."""
HUGO = shutil.which("hugo") or "/usr/bin/hugo"


@dataclass
class Measured:
    """One process run: its wall time, its peak RSS and what it printed."""

    wall: float
    cpu: float
    """User + system CPU seconds of the process and its waited-for children: steadier than wall
    time on a busy machine, and above it when a build uses both cores."""
    peak_bytes: int
    stdout: str


@dataclass
class Row:
    """One line of the table: medians of the runs of one build of one catalogue."""

    papers: int
    build: str
    total: float
    cpu: float
    peak_bytes: int
    pages: int
    output_bytes: int
    files: int
    stages: dict[str, float] = field(default_factory=dict)
    stage_cpu: dict[str, float] = field(default_factory=dict)
    """CPU seconds per stage (BuildResult.cpu), medians of the runs: where the work is."""
    startup: float | None = None
    first_query_bytes: int | None = None
    ratio: float | None = None
    """Our time to a searchable site over Hugo's plus Pagefind's, from the same runs."""
    paper_page_bytes: int | None = None
    """The median size of a paper page (papers/<id>/index.html) as written."""
    index_start: tuple[float, float] | None = None
    """Wall and CPU seconds from the build's start to Pagefind's (BuildResult.index_start), medians:
    the work that has to be done before the search index can begin."""


def measure(command: list[str], cwd: Path = ROOT) -> Measured:
    """Run a command to completion; wait4 gives the peak RSS of exactly this child (and its waited-for children)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited {process.returncode}:\n"
                               f"{err.read().decode(errors='replace')}")
        # ru_maxrss is in KiB on Linux.
        return Measured(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, out.read().decode())


def our_build(seeds: Path, site: Path, site_src: Path) -> tuple[Measured, dict]:
    measured = measure([sys.executable, str(HERE / "build_once.py"), "--seeds", str(seeds),
                        "--out", str(site), "--site-src", str(site_src)])
    return measured, json.loads(measured.stdout.strip().splitlines()[-1])


def hugo_build(source: Path, content: Path, public: Path) -> tuple[Measured, dict[str, float]]:
    """Time to a searchable site the reference way: a cold Hugo build into a destination that does
    not exist yet (our minimal layouts, no theme), then Pagefind's CLI over Hugo's output. Hugo's
    paper pages mark their article data-pagefind-body, as ours do, so Pagefind indexes the same
    papers. Wall and CPU time are the two processes' sums; peak memory the larger of the two. The
    dict gives each part's wall time, as stages: `hugo`, and `index` for Pagefind."""
    os.sync()
    with tempfile.TemporaryDirectory() as cache:
        hugo = measure([HUGO, "--quiet", "--source", str(source), "--config", str(HERE / "hugo" / "hugo.toml"),
                        "--layoutDir", str(HERE / "hugo" / "layouts"), "--contentDir", str(content),
                        "--destination", str(public), "--cacheDir", cache])
    index = measure([pagefind_binary(), "--site", str(public), "--silent"])
    return (Measured(hugo.wall + index.wall, hugo.cpu + index.cpu, max(hugo.peak_bytes, index.peak_bytes),
                     hugo.stdout + index.stdout), {"hugo": hugo.wall, "index": index.wall})


def tree_size(folder: Path) -> tuple[int, int, int]:
    """(bytes, files, HTML pages) under a folder."""
    total = files = pages = 0
    for path in folder.rglob("*"):
        if path.is_file():
            total += path.stat().st_size
            files += 1
            pages += path.suffix == ".html"
    return total, files, pages


RESULTS_SHOWN = 10
"""Results whose fragments the search page loads for its first page (PAGE_SIZE in static/search.js)."""
SERVED_GZIP = (".js", ".json")
"""Pagefind files GitHub Pages compresses on the way; its chunks and WebAssembly are gzip already."""


def served_bytes(path: Path) -> int:
    """A file's bytes on the wire as GitHub Pages serves it (gzip for text, as stored otherwise)."""
    data = path.read_bytes()
    return len(gzip.compress(data, 6)) if path.suffix in SERVED_GZIP else len(data)


def first_query_bytes(site: Path) -> int | None:
    """Bytes a browser fetches for a first one-word query, or None without a Pagefind bundle.

    Pagefind loads pagefind.js, its worker, pagefind-entry.json, the language's WebAssembly and
    metadata (`pagefind.<hash>.pf_meta`), then one index chunk and the fragments of the results
    shown. One median-sized index chunk and ten median-sized fragments stand for a typical word.
    An index in parts (docs/search.md) adds each further part's entry, metadata and one chunk;
    the search page loads the runtime once. bench/first_query.py measures the same in Chromium,
    query by query.
    """
    total = 0
    for part in itertools.count():
        bundle = site / part_folder(part)
        entry_path = bundle / "pagefind-entry.json"
        if not entry_path.exists():
            return total or None
        entry = json.loads(entry_path.read_text())
        language, details = sorted(entry["languages"].items())[0]
        runtime = [entry_path, bundle / f"pagefind.{details['hash']}.pf_meta"]
        if part == 0:
            runtime += [bundle / "pagefind.js", bundle / "pagefind-worker.js",
                        bundle / f"wasm.{details.get('wasm') or language}.pagefind"]
        missing = [path.name for path in runtime if not path.is_file()]
        if missing:  # a Pagefind whose bundle is laid out otherwise: say so rather than under-count
            raise FileNotFoundError(f"{bundle}: no {', '.join(missing)} (a different Pagefind bundle layout?)")
        total += sum(served_bytes(path) for path in runtime)
        fragments = RESULTS_SHOWN if part == 0 else 0  # the results shown, counted once
        for kind, suffix, count in (("index", "pf_index", 1), ("fragment", "pf_fragment", fragments)):
            sizes = sorted(path.stat().st_size for path in (bundle / kind).glob(f"*.{suffix}"))
            total += sizes[len(sizes) // 2] * min(count, len(sizes)) if sizes else 0


RECENTLY_DELETED_SECONDS = 65
"""How long creating files stays slow after many were deleted, on an ext4 disk without a journal
such as this machine's: for 60 s (65 while the inode table block is dirty) the inode allocator
checks each freed inode's deletion time and skips it (recently_deleted() in fs/ext4/ialloc.c).
Measured here: 10,000 folders and files took 1.3-1.5 s to create, but 14-19 s (13-18 s of
system CPU, perf showing recently_deleted and find_get_block_common) right after the previous
10,000 were deleted. So no build is timed within this window after a removal: every run writes
into a folder of its own, and what earlier runs left is removed only after the last build, or
waited out before the first."""


def bench_size(count: int, runs: int, out_dir: Path, site_src: Path, with_hugo: bool, keep: bool,
               corpus: Path | None = None, api: bool = False, material: Path = ROOT / "seeds") -> list[Row]:
    """Every run of one catalogue size; ours and Hugo alternate so both see the same machine state.
    The catalogue is synthetic (bench/synth.py, recombining `material`; with `api`, as days of API
    records), or with `corpus` real records repeated under new titles (bench/corpus_seeds.py)."""
    if corpus is None:
        work = out_dir / f"{'api' if api else 'catalogue'}-{count}"
        seeds = write_catalogue(count, work / "seeds", material, api=api)
    else:
        work = out_dir / f"real-{count}"
        seeds = write_corpus_seeds(corpus, work / "seeds", count)
    if remove_outputs(work):
        print(f"waiting {RECENTLY_DELETED_SECONDS} s after removing earlier outputs (see RECENTLY_DELETED_SECONDS)",
              file=sys.stderr, flush=True)
        time.sleep(RECENTLY_DELETED_SECONDS)
    ours: list[tuple[Measured, dict]] = []
    hugo: list[tuple[Measured, dict[str, float]]] = []
    for run in range(runs):
        os.sync()  # neither build waits for the other's writes to reach the disk
        ours.append(our_build(seeds, work / f"site-{run}", site_src))
        if with_hugo:
            if run == 0:
                write_content(read_export(work / "site-0"), work / "hugo-content")
                (work / "hugo-source").mkdir(exist_ok=True)
            hugo.append(hugo_build(work / "hugo-source", work / "hugo-content", work / f"hugo-public-{run}"))
    site, public = work / f"site-{runs - 1}", work / f"hugo-public-{runs - 1}"
    rows = [_our_row(count, ours, site)]
    if with_hugo:
        rows.append(_hugo_row(count, hugo, public))
        rows[0].ratio = statistics.median(a.wall / b.wall for (a, _), (b, _) in zip(ours, hugo))
    if keep:  # the last run's outputs, under the names earlier versions of the harness used
        site.rename(work / "site")
        if with_hugo:
            public.rename(work / "hugo-public")
    return rows


def remove_outputs(work: Path, keep: bool = False) -> bool:
    """Remove the built sites under a catalogue's folder (all but the kept ones with `keep`);
    whether anything was removed."""
    kept = {"site", "hugo-public", "hugo-content", "hugo-source"} if keep else set()
    found = [path for pattern in ("site", "site-*", "hugo-public", "hugo-public-*", "hugo-content", "hugo-source")
             for path in work.glob(pattern) if path.name not in kept]
    for path in found:
        shutil.rmtree(path, ignore_errors=True)
    return bool(found)


def _our_row(count: int, runs: list[tuple[Measured, dict]], site: Path) -> Row:
    names = list(dict.fromkeys(name for _, report in runs for name in report["timings"]))
    stages = {name: statistics.median(report["timings"].get(name, 0.0) for _, report in runs) for name in names}
    stage_cpu = {name: statistics.median(report.get("cpu", {}).get(name, 0.0) for _, report in runs)
                 for name in names}
    startup = statistics.median(m.wall - sum(report["timings"].values()) for m, report in runs)
    starts = [report["index_start"] for _, report in runs if report.get("index_start")]
    index_start = (statistics.median(wall for wall, _ in starts), statistics.median(cpu for _, cpu in starts)) \
        if starts else None
    output, files, pages = tree_size(site)
    papers = {report["papers"] for _, report in runs}
    if papers != {count}:
        raise RuntimeError(f"{count} papers in, {sorted(papers)} out")
    return Row(papers=count, build="ours", total=statistics.median(m.wall for m, _ in runs),
               cpu=statistics.median(m.cpu for m, _ in runs),
               peak_bytes=max(m.peak_bytes for m, _ in runs), pages=pages, output_bytes=output,
               files=files, stages=stages, stage_cpu=stage_cpu, startup=startup, first_query_bytes=first_query_bytes(site),
               paper_page_bytes=median_paper_page(site), index_start=index_start)


def median_paper_page(site: Path) -> int:
    return int(statistics.median(path.stat().st_size for path in site.glob("papers/*/index.html")))


def _hugo_row(count: int, runs: list[tuple[Measured, dict[str, float]]], public: Path) -> Row:
    output, files, pages = tree_size(public)
    stages = {name: statistics.median(parts[name] for _, parts in runs) for name in ("hugo", "index")}
    return Row(papers=count, build="hugo + pagefind", total=statistics.median(m.wall for m, _ in runs),
               cpu=statistics.median(m.cpu for m, _ in runs),
               peak_bytes=max(m.peak_bytes for m, _ in runs), pages=pages, output_bytes=output, files=files,
               stages=stages)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _megabytes(value: int) -> str:
    return f"{value / 1e6:.1f} MB"


def format_table(rows: list[Row]) -> str:
    """The results as a Markdown table: one row per catalogue size and build."""
    extra = [name for row in rows for name in row.stages if name not in STAGES]
    stages = list(STAGES) + list(dict.fromkeys(extra))
    header = (["papers", "build"] + [f"{name} s" for name in stages]
              + ["index starts s", "start-up s", "total s", "cpu s", "peak RSS", "pages", "pages/s", "papers/s",
                 "output", "files", "paper page (median)", "first query (gzip)", "ours / hugo + pagefind"])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [f"{row.papers:,}", row.build]
        cells += [_seconds(row.stages.get(name)) for name in stages]
        cells += [
            _seconds(None if row.index_start is None else row.index_start[0]),
            _seconds(row.startup), _seconds(row.total), _seconds(row.cpu), _megabytes(row.peak_bytes), f"{row.pages:,}",
            f"{row.pages / row.total:,.0f}", f"{row.papers / row.total:,.0f}", _megabytes(row.output_bytes),
            f"{row.files:,}",
            "-" if row.paper_page_bytes is None else f"{row.paper_page_bytes / 1e3:.1f} KB",
            "n/a" if row.first_query_bytes is None else f"{row.first_query_bytes / 1e3:.0f} KB",
            "-" if row.ratio is None else f"{row.ratio:.2f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_cpu_table(rows: list[Row]) -> str:
    """CPU seconds per stage of our builds, what start-up and teardown took beside them (the
    process's CPU less the stages'), and how much of it was spent before Pagefind could start."""
    ours = [row for row in rows if row.stage_cpu]
    stages = list(STAGES) + list(dict.fromkeys(name for row in ours for name in row.stage_cpu if name not in STAGES))
    header = (["papers"] + [f"{name} cpu s" for name in stages]
              + ["stages cpu s", "outside stages cpu s", "cpu s", "before index cpu s"])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in ours:
        inside = sum(row.stage_cpu.values())
        cells = [f"{row.papers:,}"] + [_seconds(row.stage_cpu.get(name)) for name in stages]
        cells += [_seconds(inside), _seconds(row.cpu - inside), _seconds(row.cpu),
                  _seconds(None if row.index_start is None else row.index_start[1])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000",
                        help="comma-separated catalogue sizes in papers (default: 1000,10000)")
    parser.add_argument("--runs", type=int, default=3, help="builds per size; medians are reported (default: 3)")
    parser.add_argument("--hugo", action="store_true", help="also build the same papers with Hugo, side by side")
    parser.add_argument("--keep", action="store_true", help="keep the built sites under --out-dir")
    parser.add_argument("--out-dir", type=Path, default=HERE / "out",
                        help="cache of catalogues and outputs (default: bench/out)")
    parser.add_argument("--site-src", type=Path, default=ROOT / "site_src", help="site settings to build with")
    parser.add_argument("--corpus", type=Path, default=None, metavar="JSONL",
                        help="build real records (e.g. ../shared/corpus/hf-daily-papers-2024.jsonl) repeated "
                             "under new titles to each size, instead of synthetic papers")
    parser.add_argument("--material", type=Path, default=ROOT / "seeds", metavar="SEEDS",
                        help="the listing dumps whose titles and sentences synthetic papers recombine "
                             "(default: seeds/)")
    parser.add_argument("--api", action="store_true",
                        help="synthetic papers as days of API records (bench/synth.py --format api), with "
                             "arXiv ids, authors' names and code links, instead of listing dumps")
    args = parser.parse_args(argv)
    if args.api and args.corpus:
        parser.error("--api is for synthetic papers; --corpus gives real ones")
    try:
        sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()]
    except ValueError:
        parser.error(f"--sizes must be comma-separated integers, not {args.sizes!r}")
    if not sizes or min(sizes) < 1 or args.runs < 1:
        parser.error("--sizes and --runs must be positive")
    if args.hugo and not Path(HUGO).exists():
        parser.error("--hugo needs the hugo binary (Debian: apt-get install hugo)")
    rows: list[Row] = []
    load_before = os.getloadavg()
    out_dir = args.out_dir.absolute()
    try:
        for count in sizes:
            try:
                rows += bench_size(count, args.runs, out_dir, args.site_src.absolute(), args.hugo, args.keep,
                                   args.corpus.absolute() if args.corpus else None, args.api,
                                   args.material.absolute())
            except (RuntimeError, OSError) as error:
                print(f"bench: {count:,} papers: {error}", file=sys.stderr)
                return 1
            print(f"{count:,} papers done", file=sys.stderr, flush=True)
    finally:  # only now: a removal slows the file creation of a build that follows (RECENTLY_DELETED_SECONDS)
        for count in sizes:
            kind = "real" if args.corpus else "api" if args.api else "catalogue"
            remove_outputs(out_dir / f"{kind}-{count}", keep=args.keep)
    print(format_table(rows))
    print()
    print(format_cpu_table(rows))
    # Other work on the machine skews wall times; say how busy it was so readers can judge.
    print(f"\n{os.cpu_count()} cores; output in {args.out_dir}; 1-minute load average "
          f"{load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
