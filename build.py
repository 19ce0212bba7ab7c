"""Entry point: `python build.py --help`. The engine lives in the paper_catalogue package."""

import sys

from paper_catalogue.cli import main

if __name__ == "__main__":
    sys.exit(main())
