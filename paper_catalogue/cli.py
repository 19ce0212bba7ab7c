"""The command line: parse arguments, run a build (or preview, or benchmark), map outcomes to exit codes."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from datetime import date, datetime, timezone
from pathlib import Path

from .config import load_site_config
from .diagnostics import BuildError, Diagnostic, InputError, error_at, os_error_problem
from .pipeline import BuildOptions, StrictFailure, build, read_catalogue
from .topics import assign_topics, load_taxonomy, load_topic_overrides, with_name_fit

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_OUT = Path("_site")

DESCRIPTION = """\
Build a static paper catalogue from Hugging Face Daily Papers listings.

Reads every seeds/*.txt (listing dumps) and seeds/**/*.json and *.jsonl (API records, as
`python build.py fetch` saves them), writes the site into the output folder (default _site),
and reports every entry it could not read fully as file:line warnings on stderr.
`python build.py serve` previews the site on a local server, rendering each page as the
build would when the browser asks for it, and reloads open pages when seeds, site_src,
templates or static change."""

EPILOG = """\
exit codes: 0 built (serve: stopped with Ctrl-C), 1 build failed (or warnings with --strict),
  2 usage error, 130 build interrupted (Ctrl-C or SIGTERM); on any failure the output
  folder is left as it was.
examples:
  python build.py                  build into _site
  python build.py --strict         fail on any warning (for CI)
  python build.py --base-url https://user.github.io/repo/
  python build.py serve            preview at http://127.0.0.1:8000/ with live reload
  python build.py serve --port 8001 --host 127.0.0.1
  python build.py topics suggest --out site_src/topics.toml
                                   a taxonomy suggested from the papers themselves
  python build.py topics report    papers per topic, with advice on balance
  python build.py fetch            the last 7 days of Daily Papers into seeds/hf-daily/"""

SERVE_DESCRIPTION = """\
Read the site for http://HOST:PORT/ and serve it, rendering each file as `python build.py`
would write it when the browser asks for it; nothing is written (no _site). Watch seeds,
site_src, templates and static: an edit re-reads only what it touched, and open pages reload
when their bytes change. The search index is made in the background; the search page says so
until it is ready. A failed edit prints its errors here, the last good site stays served, and
open pages show the errors (file, line and the lines around it) until a good edit. Ctrl-C stops
(exit code 0). The live-reload script is added by the server as it sends each page: it is never
in what a build writes."""


def add_build_options(parser: argparse.ArgumentParser, defaults: bool = True) -> None:
    """The build's options; `serve` repeats them without defaults so either position works."""
    def default(value):
        return value if defaults else argparse.SUPPRESS

    parser.add_argument("--seeds", type=Path, default=default(Path("seeds")), metavar="DIR",
                        help="folder of listing dumps (*.txt) and API records (**/*.json, *.jsonl) to read (default: seeds)")
    parser.add_argument("--out", type=Path, default=default(None), metavar="DIR",
                        help="output folder, replaced only when the build succeeds (default: _site; "
                             "serve writes no site)")
    parser.add_argument("--site-src", type=Path, default=default(Path("site_src")), metavar="DIR",
                        help="site owner's settings, topics and pages (default: site_src)")
    parser.add_argument("--base-url", metavar="URL", default=default(None),
                        help="absolute URL the site is served from; overrides site.toml's base_url "
                             "(serve: default http://HOST:PORT/)")
    parser.add_argument("--strict", action="store_true", default=default(False),
                        help="treat every warning as an error (exit 1)")
    parser.add_argument("--quiet", "-q", action="store_true", default=default(False),
                        help="print nothing but warnings and errors")
    parser.add_argument("--cache", type=Path, default=default(Path(".catalogue-cache")), metavar="DIR",
                        help="keep parsed seeds, topics, related papers and the output's record here, "
                             "so a rebuild redoes only what changed (default: .catalogue-cache)")
    parser.add_argument("--no-cache", dest="cache", action="store_const", const=None,
                        default=argparse.SUPPRESS, help="build everything from scratch")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="build.py", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_build_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="{serve,topics,fetch}",
                                     help="without a command: build once")
    serve = commands.add_parser(
        "serve", help="build, preview on a local server, rebuild and reload on change",
        description=SERVE_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--port", type=int, default=8000,
                       help="port to listen on; 0 picks a free one (default: 8000)")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to bind; loopback only unless you choose otherwise "
                            "(default: 127.0.0.1)")
    add_build_options(serve, defaults=False)
    add_topics_command(commands)
    add_fetch_command(commands)
    return parser


TOPICS_DESCRIPTION = """\
`topics suggest` groups the catalogue's papers by their words and writes a taxonomy in the format
of site_src/topics.toml: for each topic a name, a slug, a one-sentence description, the weighted
terms that place papers in it and, as a comment, its three most central papers. Read it, rename
the topics, and rebuild: the build uses the file as it is. The same catalogue always gives the
same file. `topics report` prints what the build prints about its topics, with advice on balance,
and each topic's name fit: the share of its primary papers holding a word of its name."""


def add_topics_command(commands) -> None:
    """`topics suggest` and `topics report`: they read the catalogue as the build does."""
    topics = commands.add_parser("topics", help="suggest a taxonomy from the papers, or report on the current one",
                                 description=TOPICS_DESCRIPTION,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = topics.add_subparsers(dest="topics_command", metavar="{suggest,report}", required=True)
    suggest = actions.add_parser("suggest", help="write a taxonomy suggested from the papers themselves",
                                 description=TOPICS_DESCRIPTION.split("\n`topics report`")[0])
    suggest.add_argument("--count", type=int, metavar="N",
                         help="groups of papers to start from, besides the catch-all (default: suited to "
                              "the catalogue's size, 8 to 30); a group its name fits badly is split, and "
                              "one no name fits dropped, so the topics may be a few more or fewer")
    suggest.add_argument("--out", dest="taxonomy_file", type=Path, metavar="FILE",
                         help="write the taxonomy here instead of to standard output")
    suggest.add_argument("--force", action="store_true", help="let --out replace an existing file")
    report = actions.add_parser("report", help="papers per topic under site_src/topics.toml, "
                                               "with advice on balance")
    for parser in (suggest, report):
        parser.add_argument("--seeds", type=Path, default=argparse.SUPPRESS, metavar="DIR",
                            help="folder of listing dumps (*.txt) and API records (**/*.json, *.jsonl) to read (default: seeds)")
        parser.add_argument("--site-src", type=Path, default=argparse.SUPPRESS, metavar="DIR",
                            help="site owner's settings and topics (default: site_src)")


def options_from(args: argparse.Namespace) -> BuildOptions:
    return BuildOptions(seeds=args.seeds, out=args.out, site_src=args.site_src,
                        base_url=args.base_url, strict=args.strict, cache=args.cache, own_process=True)


class TerminalProgress:
    """Stage-by-stage progress on stderr, only on a terminal and without --quiet (logs stay clean).

    show() writes a finished stage's line; tick() writes how far a long stage has got on a line
    that the next line replaces; clear() removes such a line before an error is printed.
    """

    def __init__(self, args: argparse.Namespace, started: float) -> None:
        self.enabled = not args.quiet and sys.stderr.isatty()
        self.started = started
        self.ticking = False

    def _line(self, stage: str, message: str) -> str:
        # \r and "erase to the end of the line" overwrite a ticker line still showing.
        return f"\r{stage:>8}  {message}  [{time.perf_counter() - self.started:.1f} s]\x1b[K"

    def show(self, stage: str, message: str) -> None:
        if self.enabled:
            print(self._line(stage, message), file=sys.stderr, flush=True)
            self.ticking = False

    def tick(self, stage: str, message: str) -> None:
        if self.enabled:
            print(self._line(stage, message + "..."), end="", file=sys.stderr, flush=True)
            self.ticking = True

    def clear(self) -> None:
        if self.ticking:
            print("\r\x1b[K", end="", file=sys.stderr, flush=True)
            self.ticking = False


def run_build(args: argparse.Namespace) -> int:
    """One build, reported on the terminal."""
    terminal = TerminalProgress(args, time.perf_counter())
    started = terminal.started
    options = options_from(args)
    found: list[Diagnostic] = []
    try:
        try:
            result = build(options, progress=terminal.show, ticker=terminal.tick)
        finally:
            terminal.clear()
    except StrictFailure as failure:
        found = list(failure.warnings)
        summary = f"{failure}"
    except InputError as error:
        found = list(error.problems)
        summary = f"the build stopped at {len(found)} error(s) in the input; fix them and build again"
    except BuildError as error:
        summary = str(error)
        found = [error_at("", None, summary)]
    except OSError as error:
        inputs = [options.seeds, options.site_src, options.templates, options.static]
        found = [os_error_problem(error, inputs)]
        summary = "the build stopped"
    except KeyboardInterrupt:
        print(f"\ninterrupted; {args.out} left unchanged", file=sys.stderr)
        return 130
    else:
        for warning in result.warnings:  # notes belong to the build's report, on stdout
            if warning.severity != "note":
                print(warning, file=sys.stderr)
            elif not args.quiet:
                print(warning)
        if not args.quiet and result.topic_report is not None:
            print(result.topic_report)
        warned = sum(warning.severity == "warning" for warning in result.warnings)
        if not args.quiet and result.up_to_date:
            print(f"{args.out} is up to date: nothing it depends on changed ({len(result.catalogue.papers)} papers, "
                  f"{warned} warnings)")
        elif not args.quiet:
            seconds = time.perf_counter() - started
            print(f"built {len(result.catalogue.papers)} papers, {result.files} files into {args.out} "
                  f"in {seconds:.2f} s ({warned} warnings)")
        return EXIT_OK
    if len(found) > 1 or found[0].file:
        for problem in found:
            print(problem, file=sys.stderr)
    print(f"error: {summary}; {args.out} left unchanged", file=sys.stderr)
    return EXIT_FAILED


def run_serve(args: argparse.Namespace) -> int:
    """The preview keeps the site in memory and renders each file on request (as `hugo server`
    and `zola serve` do), so it writes no site: a `build.py` run beside it changes nothing it serves."""
    from .serve import WATCHED, WatchError, preview  # only the preview needs server and watcher

    if args.out is not None:
        print("error: serve writes no site (it renders each page when the browser asks for it); "
              "--out is for a build", file=sys.stderr)
        return EXIT_USAGE
    watched = [args.seeds, args.site_src, *WATCHED[2:]]
    try:
        return preview(host=args.host, port=args.port, options=options_from(args), watched=watched,
                       quiet=args.quiet)
    except OSError as error:  # the port is taken, or the host is not an address of this machine
        print(f"error: cannot serve on {args.host}:{args.port}: {error.strerror or error}",
              file=sys.stderr)
        return EXIT_FAILED
    except WatchError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED


def read_for_topics(args: argparse.Namespace):
    """The catalogue as the build reads it (site.toml's capture year included); warnings on stderr."""
    config = load_site_config(args.site_src / "site.toml")
    catalogue, warnings = read_catalogue(args.seeds, config)
    for warning in warnings:
        print(warning, file=sys.stderr)
    return catalogue


def run_topics_suggest(args: argparse.Namespace) -> int:
    from .topic_suggest import suggest_taxonomy, taxonomy_toml  # scikit-learn only for this command

    target: Path | None = args.taxonomy_file
    if args.count is not None and args.count < 1:
        print("error: --count must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    if target is not None and target.exists() and not args.force:
        print(f"error: {target} exists; give --force to replace it", file=sys.stderr)
        return EXIT_FAILED
    try:
        catalogue = read_for_topics(args)
        text = taxonomy_toml(suggest_taxonomy(catalogue, args.count))
        if target is None:
            sys.stdout.write(text)
        else:
            target.write_text(text, encoding="utf-8")
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except ValueError as error:  # nothing to group: no papers, or no words
        print(f"error: {args.seeds}: {error}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as error:
        print(f"error: {error.filename or target}: {error.strerror or error}", file=sys.stderr)
        return EXIT_FAILED
    if target is not None:
        print(f"wrote {target}: a taxonomy for {len(catalogue.papers)} papers", file=sys.stderr)
    return EXIT_OK


def run_topics_report(args: argparse.Namespace) -> int:
    path = args.site_src / "topics.toml"
    try:
        taxonomy = load_taxonomy(path)
        if taxonomy is None:
            print(f"error: {path} does not exist; `python build.py topics suggest --out {path}` "
                  "writes one", file=sys.stderr)
            return EXIT_FAILED
        overrides = load_topic_overrides(args.site_src / "topic_overrides.toml")
        assigned = assign_topics(read_for_topics(args), taxonomy, overrides)
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as error:
        print(f"error: {error.filename or ''}: {error.strerror or error}", file=sys.stderr)
        return EXIT_FAILED
    for warning in assigned.warnings:
        print(warning, file=sys.stderr)
    print(with_name_fit(assigned.report, assigned.catalogue.papers))
    return EXIT_OK


FETCH_DESCRIPTION = """\
Download Hugging Face Daily Papers listings from the API (GET /api/daily_papers) into
SEEDS/hf-daily/YYYY-MM-DD.json, one file a day: the items of every page of the day in one JSON
list, each exactly as the API returned it. Without --date, --since or --days: the last 7 days up
to today (UTC). A day whose file exists is skipped, except the last two days of the range, which
are fetched again because a day's list grows while it lasts. A day's file is written only once
the day is complete; a day that fails is reported and the next day is still fetched."""

FETCH_EPILOG = """\
environment:
  HF_ENDPOINT  the server to ask (default: https://huggingface.co), as huggingface_hub reads it
  HF_TOKEN     sent as "Authorization: Bearer ..." when set; never printed
exit codes: 0 every day fetched or skipped, 1 a day failed or the server could not be reached,
  2 usage error, 130 interrupted (Ctrl-C or SIGTERM; no partial file is left)
examples:
  python build.py fetch                           the last 7 days
  python build.py fetch --date 2025-10-06         one day, fetched again if it exists
  python build.py fetch --since 2025-10-01 --until 2025-10-31"""


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def add_fetch_command(commands) -> None:
    """`fetch`: Daily Papers from the Hugging Face API into seeds/hf-daily/."""
    fetch = commands.add_parser("fetch", help="download Daily Papers from the Hugging Face API into "
                                              "seeds/hf-daily/", description=FETCH_DESCRIPTION,
                                epilog=FETCH_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    days = fetch.add_mutually_exclusive_group()
    days.add_argument("--date", type=_day, metavar="DAY", help="this one day")
    days.add_argument("--since", type=_day, metavar="DAY", help="from this day to --until")
    days.add_argument("--days", type=int, metavar="N", help="the N days up to --until (default: 7)")
    fetch.add_argument("--until", type=_day, metavar="DAY", help="the last day (default: today, UTC)")
    fetch.add_argument("--seeds", type=Path, default=argparse.SUPPRESS, metavar="DIR",
                       help="seeds folder; files go to DIR/hf-daily/ (default: seeds)")
    fetch.add_argument("--pause", type=float, default=1.0, metavar="SECONDS",
                       help="wait between requests; the n-th retry of a request waits SECONDS x 2^n, "
                            "or what a 429's Retry-After asks, at most 60 s (default: 1)")
    fetch.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                       help="give up a try when the server has not answered in this time (default: 30)")
    fetch.add_argument("--quiet", "-q", action="store_true",
                       help="print nothing but failed days and errors")


def run_fetch(args: argparse.Namespace) -> int:
    from . import fetch  # urllib and http.client only for this command

    started = time.perf_counter()
    try:
        days = fetch.date_range(args.date, args.since, args.until, args.days,
                                datetime.now(timezone.utc).date())
        settings = fetch.FetchSettings.from_environment(pause=args.pause, timeout=args.timeout)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE

    def report(outcome) -> None:  # a line a day and one a retry, in the style of the build's stages
        if outcome.status == "failed" or not args.quiet:
            line = f"{outcome.status:>8}  {outcome.day}  {outcome.message}"
            print(f"{line}  [{time.perf_counter() - started:.1f} s]", file=sys.stderr, flush=True)

    try:
        summary = fetch.fetch_days(days, args.seeds, settings, report)
    except fetch.Unreachable as error:
        print(f"error: {error}; nothing more fetched", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"\ninterrupted; the days written so far are kept, no partial file is left in "
              f"{args.seeds / fetch.FOLDER}", file=sys.stderr)
        return 130
    for warning in summary.warnings:
        print(warning, file=sys.stderr)
    if not args.quiet or summary.failed:
        print(summary)
    return EXIT_FAILED if summary.failed else EXIT_OK


def _interrupt(signum, frame) -> None:
    """SIGTERM (a CI timeout, `kill`) stops the build like Ctrl-C: cleaned up, output untouched."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    # Paths and titles may hold bytes the terminal cannot show; show them escaped, never crash.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    args = make_parser().parse_args(argv)
    if args.command == "serve":
        return run_serve(args)
    if args.command == "fetch":
        return run_fetch(args)
    if args.command == "topics":
        return run_topics_suggest(args) if args.topics_command == "suggest" else run_topics_report(args)
    args.out = args.out or DEFAULT_OUT
    return run_build(args)

