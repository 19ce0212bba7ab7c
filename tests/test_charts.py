"""Year charts and the year span on the home page, down to a catalogue of a single year."""

from __future__ import annotations

import re

from site_build import build_site

from paper_catalogue.charts import WIDEST_BAR, WIDTH, year_chart


def bars(chart: str) -> list[tuple[float, float]]:
    """(x, width) of each bar."""
    return [(float(x), float(w)) for x, w in re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', chart)]


def test_one_year_draws_one_bar_in_the_middle_not_a_block_across_the_chart():
    [(x, width)] = bars(str(year_chart({2024: 2212})))
    assert width == WIDEST_BAR
    assert x + width / 2 == WIDTH / 2


def test_many_years_keep_bars_narrower_than_their_slots():
    found = bars(str(year_chart({year: 3 for year in range(2000, 2026)})))
    assert len(found) == 26
    slot = WIDTH / 26
    assert all(width == round(slot * 0.7, 1) for _, width in found)


def test_a_catalogue_of_one_year_says_so(write_seed, tmp_path):
    seed = write_seed("A Paper From One Year\n\nIt studies one thing.\n\n  • 2 authors\n·\nMay 3, 2024 5\n\n"
                      "Another Paper From That Year\n\nIt studies another.\n\n  • 1 author\n·\nJun 9, 2024\n")
    site = build_site(tmp_path / "_site", seeds=seed.parent)
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "<strong>2024</strong> <span>year published</span>" in home
    assert "2024–2024" not in home
