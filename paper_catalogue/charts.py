"""Small inline SVG charts made at build time, so no page needs chart JavaScript."""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT, LABEL_SPACE = 320, 120, 18
WIDEST_BAR = 24
"""A bar is never wider than this, so one year (or two) draws a bar, not a block across the chart."""


def year_chart(counts: dict[int, int], label: str = "Papers per year") -> Markup:
    """A bar chart of papers per year, every year between the first and last shown (gaps as 0)."""
    if not counts:
        return Markup("")
    years = list(range(min(counts), max(counts) + 1))
    peak = max(counts.values())
    slot = WIDTH / len(years)
    bar = min(max(slot * 0.7, 1.0), WIDEST_BAR)
    usable = HEIGHT - 2 * LABEL_SPACE
    parts = []
    for index, year in enumerate(years):
        count = counts.get(year, 0)
        height = usable * count / peak
        x = index * slot + (slot - bar) / 2
        y = LABEL_SPACE + usable - height
        parts.append(
            f'<g><title>{year}: {count} paper{"s" if count != 1 else ""}</title>'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}" class="bar"/>'
        )
        if count:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{y - 4:.1f}" class="count">{count}</text>')
        if len(years) <= 12 or index % max(1, len(years) // 8) == 0 or year == years[-1]:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - 4}" class="year">{year}</text>')
        parts.append("</g>")
    baseline = LABEL_SPACE + usable + 0.5
    parts.append(f'<line x1="0" y1="{baseline}" x2="{WIDTH}" y2="{baseline}" class="axis"/>')
    summary = ", ".join(f"{year}: {counts[year]}" for year in sorted(counts))
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(label)}: {escape(summary)}" xmlns="http://www.w3.org/2000/svg">'
        + "".join(parts) + "</svg>"
    )
