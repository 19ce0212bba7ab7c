"""Entry point: `python build.py --help`. The engine lives in the paper_catalogue package."""

import os
import sys

from paper_catalogue.cli import main

if __name__ == "__main__":
    code = main()
    # main() has waited for every child process and removed every temporary folder, so the
    # interpreter's own teardown (freeing every module: numpy, scipy, pydantic, Jinja) is all that
    # is left: 0.3-0.4 s of a 2.5 s build of the seeds on the fifth session's machine. Skip it,
    # once what was printed is out.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away (`| head`): nothing more to show
            pass
    os._exit(code)
