"""The W3C Nu HTML validator (vnu.jar, from the npm package vnu-jar) finds no error in any built page."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import FIXTURES
from site_build import build_own_site, build_site, html_pages, vnu_jar

NASTY_SEED = (
    'A title with </p><div> "quotes" & <!-- markup\n'
    "An abstract with <b>bold</b>, </script>, a stray ]]> and https://example.com/a?b=1&c=2 inside.\n"
)


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> list[Path]:
    """Every HTML page of four builds: the real seeds, the fixture seeds, hostile seed text, and
    API records (authors, citation tags, JSON-LD, code links)."""
    root = tmp_path_factory.mktemp("validate")
    (root / "seeds").mkdir()
    (root / "seeds" / "000.txt").write_text(NASTY_SEED, encoding="utf-8")
    sites = [build_own_site(root / "own" / "_site", base_url="https://example.org/sub/", papers_per_page=100),
             build_site(root / "fixture"),
             build_site(root / "nasty", seeds=root / "seeds"),
             build_site(root / "records", seeds=FIXTURES / "api_seeds")]
    found = [html_pages(site) for site in sites]
    # Every build gives its pages (home, search, 404, a paper at least); the fixtures' three
    # give 73 together, the owner's catalogue whatever its seeds make.
    assert all(len(site_pages) >= 4 for site_pages in found)
    assert sum(map(len, found[1:])) >= 70
    return [page for site_pages in found for page in site_pages]


def test_vnu_reports_no_errors_on_any_page(pages, tmp_path):
    jar = vnu_jar()
    # A page we know is invalid rides along, so a validator that checked nothing would be caught.
    control = tmp_path / "control.html"
    control.write_text("<!doctype html><html lang=en><title>x</title><p><div></span>", encoding="utf-8")
    # One run over every page: the JVM starts once.
    result = subprocess.run(
        [shutil.which("java") or "java", "-jar", str(jar), "--errors-only", "--format", "json",
         *map(str, [*pages, control])],
        capture_output=True, text=True, timeout=600)
    report = json.loads(result.stderr or result.stdout)
    errors = [m for m in report["messages"] if m["type"] in ("error", "non-document-error")]
    ours = [f"{m.get('url', '')}:{m.get('lastLine')}: {m['message']}" for m in errors
            if not m.get("url", "").endswith("/control.html")]
    assert not ours, "\n".join(ours[:30])
    assert len(errors) > len(ours), "vnu found nothing wrong with the invalid control page"
