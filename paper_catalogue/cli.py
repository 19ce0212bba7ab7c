"""The command line: parse arguments, run a build (or preview, or benchmark), map outcomes to exit codes."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

from .diagnostics import BuildError
from .pipeline import BuildOptions, StrictFailure, build

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

DESCRIPTION = """\
Build a static paper catalogue from Hugging Face Daily Papers listing dumps.

Reads every seeds/*.txt, writes the site into the output folder (default _site),
and reports every entry it could not read fully as file:line warnings on stderr."""

EPILOG = """\
exit codes: 0 built, 1 build failed (or warnings with --strict), 2 usage error,
  130 interrupted (Ctrl-C or SIGTERM); on any failure the output folder is left as it was.
examples:
  python build.py                  build into _site
  python build.py --strict         fail on any warning (for CI)
  python build.py --base-url https://user.github.io/repo/"""


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="build.py", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seeds", type=Path, default=Path("seeds"), metavar="DIR",
                        help="folder of listing dumps (*.txt) to read (default: seeds)")
    parser.add_argument("--out", type=Path, default=Path("_site"), metavar="DIR",
                        help="output folder, replaced only when the build succeeds (default: _site)")
    parser.add_argument("--site-src", type=Path, default=Path("site_src"), metavar="DIR",
                        help="site owner's settings, topics and pages (default: site_src)")
    parser.add_argument("--base-url", metavar="URL",
                        help="absolute URL the site is served from; overrides site.toml's base_url")
    parser.add_argument("--strict", action="store_true",
                        help="treat every warning as an error (exit 1)")
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="print nothing but warnings and errors")
    return parser


def options_from(args: argparse.Namespace) -> BuildOptions:
    return BuildOptions(seeds=args.seeds, out=args.out, site_src=args.site_src,
                        base_url=args.base_url, strict=args.strict)


def run_build(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    try:
        result = build(options_from(args))
    except StrictFailure as failure:
        for warning in failure.warnings:
            print(warning, file=sys.stderr)
        print(f"error: {failure}; {args.out} left unchanged", file=sys.stderr)
        return EXIT_FAILED
    except BuildError as error:
        print(f"error: {error}; {args.out} left unchanged", file=sys.stderr)
        return EXIT_FAILED
    except OSError as error:
        print(f"error: {error.filename or ''}: {error.strerror or error}; {args.out} left unchanged",
              file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"\ninterrupted; {args.out} left unchanged", file=sys.stderr)
        return 130
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    if not args.quiet:
        seconds = time.perf_counter() - started
        print(f"built {len(result.catalogue.papers)} papers, {result.files} files into {args.out} "
              f"in {seconds:.2f} s ({len(result.warnings)} warnings)")
    return EXIT_OK


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
    return run_build(args)
