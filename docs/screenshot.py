"""Regenerate docs/screenshot.png: the seeds' site, built and photographed in headless Chromium.

    python docs/screenshot.py [--seeds DIR] [--page URL] [--out FILE]

Builds the site with `build.py` into a temporary folder, serves it on a free loopback port (its
links are root-relative, so it needs a server, not file://) and takes one screenshot of a page
through Playwright, driving Debian's /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
# A window as wide as a laptop's, and no more: the image stays small enough for a README.
VIEWPORT = {"width": 1100, "height": 720}


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, default=ROOT / "seeds")
    parser.add_argument("--page", default="", help="site-relative URL to photograph (default: home)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    args = parser.parse_args()

    # The port is chosen before the build, because the build writes the base URL into every link.
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory() as scratch:
        site = Path(scratch) / "_site"
        subprocess.run([sys.executable, str(ROOT / "build.py"), "--seeds", str(args.seeds), "--out", str(site),
                        "--base-url", base_url, "--no-cache", "--quiet"], cwd=ROOT, check=True)
        handler = functools.partial(QuietHandler, directory=str(site))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
                page = browser.new_page(viewport=VIEWPORT, color_scheme="light")
                page.goto(base_url + args.page, wait_until="networkidle")
                page.screenshot(path=str(args.out))
                browser.close()
        finally:
            server.shutdown()
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
