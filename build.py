"""Entry point: `python build.py --help`. The engine lives in the paper_catalogue package."""

from paper_catalogue.cli import leave, main

if __name__ == "__main__":
    leave(main())
