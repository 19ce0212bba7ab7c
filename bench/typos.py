"""Search with typos, measured in Chromium over HTTP on the real 2024 corpus.

    python bench/typos.py [--corpus FILE | --seeds DIR] [--work DIR] [--papers 40] [--timed 12]

Builds the corpus (bench/corpus_seeds.py writes it as listing dumps) and serves it with gzip, as GitHub
Pages does. For `--papers` papers drawn at random, a query is made from the title; then one letter
of its longest word is dropped, added, swapped with its neighbour or replaced by another, once at
a random place (the first letter included) and once at the first letter. Each query runs on the
search page twice: as the page now runs it (with spelling correction) and with `verbatim=1`
(Pagefind's own answer, as before correction existed). Reports:

- how often the paper is in the top three, corrected and uncorrected, per kind and place of typo;
- whether correct queries rank as without correction, and fetch neither vocabulary nor spelling.js;
- bytes a corrected query downloads beyond the uncorrected one and beyond the query spelt right
  (fresh browser, gzip), for `--timed` typos drawn from all kinds and places; and the largest
  vocabulary list and first-letter list at 500, 1,000 and 2,212 papers, extrapolated to 10,000
  (Heaps' law);
- what correction adds to the time to first results: from Pagefind's answer to the page showing
  its own (performance marks the search page sets), for correct and for misspelt queries.
"""

from __future__ import annotations

import argparse
import gzip
import math
import random
import re
import statistics
import sys
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from bench.corpus_seeds import DEFAULT_CORPUS, corpus_entries, write_seeds  # noqa: E402
from bench.first_query import served  # noqa: E402
from paper_catalogue.export import read_export  # noqa: E402
from paper_catalogue.models import Catalogue, Paper  # noqa: E402
from paper_catalogue.pipeline import BuildOptions, build  # noqa: E402
from paper_catalogue.vocabulary import VOCABULARY_DIR, vocabulary_files  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SETTLED = "() => !/Searching|Type a word/.test(document.getElementById('search-status').textContent)"
TYPOS = ("dropped", "added", "swapped", "substituted")
PLACES = ("anywhere", "first letter")
PAGEFIND_KINDS = {"index": "pagefind index", "fragment": "pagefind fragments", "filter": "pagefind filters"}
"""Pagefind's bundle folders, by what a query loads from them."""


# --- Queries ---------------------------------------------------------------------------------

def title_query(title: str) -> str:
    """The title as someone would type it: its words, without LaTeX commands or punctuation."""
    text = re.sub(r"\\[A-Za-z]+", " ", title)
    # Inner dots and hyphens stay ("Jamba-1.5", "GPT-4o"); a trailing one goes ("Scale.").
    return " ".join(re.findall(r"[A-Za-z0-9](?:[A-Za-z0-9'.\-]*[A-Za-z0-9])?", text))


def misspelt(query: str, kind: str, rng: random.Random, first: bool = False) -> str | None:
    """The query with one letter of its longest word dropped, added, swapped with the next or
    replaced by another letter: anywhere in the word, or at its first letter when `first`."""
    words = query.split()
    longest = max(range(len(words)), key=lambda i: (len(words[i]), -i))
    word = words[longest]
    if len(word) < 4:
        return None
    letters = "abcdefghijklmnopqrstuvwxyz"
    if kind == "dropped":
        at = 0 if first else rng.randrange(len(word))
        typo = word[:at] + word[at + 1:]
    elif kind == "added":
        at = 0 if first else rng.randrange(len(word) + 1)
        typo = word[:at] + rng.choice(letters) + word[at:]
    elif kind == "substituted":
        at = 0 if first else rng.randrange(len(word))
        typo = word[:at] + rng.choice(letters.replace(word[at].lower(), "")) + word[at + 1:]
    else:
        places = [i for i in range(len(word) - 1) if word[i].lower() != word[i + 1].lower()]
        if first:
            places = places[:1] if places and places[0] == 0 else []
        if not places:
            return None
        at = rng.choice(places)
        typo = word[:at] + word[at + 1] + word[at] + word[at + 2:]
    if typo.lower() == word.lower():
        return None
    return " ".join(words[:longest] + [typo] + words[longest + 1:])


# --- The browser -----------------------------------------------------------------------------

def ranked(page, root: str, query: str, verbatim: bool) -> list[str]:
    """Paper ids of the first page of results, in order."""
    params = {"q": query, **({"verbatim": "1"} if verbatim else {})}
    page.goto(f"{root}search/?{urlencode(params)}")
    page.wait_for_function(SETTLED, timeout=60_000)
    hrefs = page.eval_on_selector_all(".search-result h2 a", "links => links.map(a => a.getAttribute('href'))")
    return [href.rstrip("/").rsplit("/", 1)[-1] for href in hrefs]


def cold_run(browser, root: str, query: str, verbatim: bool) -> tuple[float, dict[str, int]]:
    """A fresh browser context: seconds from Pagefind's answer to the page's, and the bytes on
    the wire per kind of file: vocabulary, spelling.js, Pagefind's (its index chunks, result
    fragments, filters, and the rest: runtime and metadata), other."""
    context = browser.new_context()
    page = context.new_page()
    requests = []
    page.on("requestfinished", lambda request: requests.append(request))
    params = {"q": query, **({"verbatim": "1"} if verbatim else {})}
    page.goto(f"{root}search/?{urlencode(params)}")
    page.wait_for_function(SETTLED, timeout=60_000)
    # The page marks when Pagefind answered and when it showed its own answer: the gap is the
    # correction's cost, free of the noise between two separate page loads.
    elapsed = page.evaluate("""() => {
        const last = (name) => performance.getEntriesByName(name).at(-1).startTime;
        return (last('search-shown') - last('search-answered')) / 1000; }""")
    page.wait_for_load_state("networkidle")
    sizes = dict.fromkeys(("vocabulary", "spelling.js", *PAGEFIND_KINDS.values(), "pagefind runtime", "other"), 0)
    for request in requests:
        url = request.url
        if "/pagefind/" in url:
            folders = url.split("/pagefind/", 1)[1].split("/")
            folder = folders[1] if folders[0].isdigit() and len(folders) > 1 else folders[0]  # pagefind/2/index/...
            kind = PAGEFIND_KINDS.get(folder, "pagefind runtime")
        else:
            kind = ("vocabulary" if "/vocabulary/" in url else "spelling.js" if url.endswith("/spelling.js")
                    else "other")
        sizes[kind] += _wire_bytes(request)
    context.close()
    return elapsed, sizes


def _wire_bytes(request) -> int:
    response = request.response()
    length = response.headers.get("content-length") if response else None
    return int(length) if length and length.isdigit() else request.sizes()["responseBodySize"]


# --- Vocabulary sizes ------------------------------------------------------------------------

def list_sizes(entries, count: int) -> tuple[int, dict[str, int]]:
    """(words, gzip bytes of the largest list in each folder of the vocabulary) for the first
    `count` records as a catalogue."""
    papers = tuple(Paper(id=f"p{i}", title=e.title, abstract=e.abstract, sources=(e.source,))
                   for i, e in enumerate(entries[:count]))
    files = vocabulary_files(Catalogue(papers=papers))
    words = sum(content.count(b"\n") for path, content in files.items() if path.parent == VOCABULARY_DIR)
    largest: dict[str, int] = {}
    for path, content in files.items():
        folder = str(path.parent)
        largest[folder] = max(largest.get(folder, 0), len(gzip.compress(content, 6)))
    return words, largest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--seeds", type=Path, default=None,
                        help="build these seed files (e.g. seeds/) instead of the corpus; no list sizes")
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench-typos"))
    parser.add_argument("--papers", type=int, default=40)
    parser.add_argument("--timed", type=int, default=12)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--no-build", action="store_true", help="reuse the site already in --work")
    args = parser.parse_args(argv)
    site = args.work / "_site"
    if not args.no_build:
        seeds = args.seeds
        if seeds is None:
            seeds = args.work / "seeds"
            write_seeds(corpus_entries(args.corpus), seeds)
        result = build(BuildOptions(seeds=seeds, out=site, site_src=ROOT / "site_src",
                                    templates=ROOT / "templates", static=ROOT / "static",
                                    base_url="http://127.0.0.1:8000/", cache=None))
        print(f"built {len(result.catalogue.papers)} papers into {site}")
    papers = read_export(site)
    rng = random.Random(args.seed)
    chosen = rng.sample(papers, args.papers)

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright, served(site, gzip_text=True) as root:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        same_rank = first = 0
        # (kind, place) -> corrected, uncorrected, queries
        hits = {(kind, place): [0, 0, 0] for kind in TYPOS for place in PLACES}
        typo_queries = []  # (typo, the query spelt right)
        for paper in chosen:
            query = title_query(paper["title"])
            corrected, today = ranked(page, root, query, False), ranked(page, root, query, True)
            same_rank += corrected == today
            first += bool(corrected) and corrected[0] == paper["id"]
            for kind in TYPOS:
                for place in PLACES:
                    typo = misspelt(query, kind, rng, first=place == "first letter")
                    if typo is None:
                        continue
                    typo_queries.append((typo, query))
                    tally = hits[kind, place]
                    tally[0] += paper["id"] in ranked(page, root, typo, False)[:3]
                    tally[1] += paper["id"] in ranked(page, root, typo, True)[:3]
                    tally[2] += 1
        fetches_on_correct, correct_ms = [], []
        for paper in chosen[:args.timed]:
            seconds, sizes = cold_run(browser, root, title_query(paper["title"]), False)
            fetches_on_correct.append(sizes["vocabulary"] + sizes["spelling.js"])
            correct_ms.append(seconds * 1000)
        added_ms, beyond_uncorrected, beyond_exact, spelling_bytes = [], [], [], []
        largest: tuple[int, str, dict, dict] = (-1, "", {}, {})
        for typo, query in rng.sample(typo_queries, min(args.timed, len(typo_queries))):
            corrected_s, corrected_sizes = cold_run(browser, root, typo, False)
            _, plain_sizes = cold_run(browser, root, typo, True)
            _, exact_sizes = cold_run(browser, root, query, False)
            added_ms.append(corrected_s * 1000)
            beyond_uncorrected.append(sum(corrected_sizes.values()) - sum(plain_sizes.values()))
            largest = max(largest, (beyond_uncorrected[-1], typo, corrected_sizes, plain_sizes), key=lambda t: t[0])
            beyond_exact.append(sum(corrected_sizes.values()) - sum(exact_sizes.values()))
            spelling_bytes.append(corrected_sizes["vocabulary"] + corrected_sizes["spelling.js"])
        browser.close()

    def share(tallies, column):
        hit, n = sum(t[column] for t in tallies), sum(t[2] for t in tallies)
        return f"{hit}/{n} ({hit / n:.0%})" if n else "-"

    print(f"\n{args.papers} papers, seed {args.seed}; typo queries: {len(typo_queries)}")
    print("| typo | where | in top 3, corrected | in top 3, uncorrected (Pagefind alone) |\n| --- | --- | --- | --- |")
    for kind in TYPOS:
        for place in PLACES:
            print(f"| {kind} | {place} | {share([hits[kind, place]], 0)} | {share([hits[kind, place]], 1)} |")
    for place in PLACES:
        tallies = [hits[kind, place] for kind in TYPOS]
        print(f"| all | {place} | {share(tallies, 0)} | {share(tallies, 1)} |")
    everything = list(hits.values())
    print(f"| all | all | {share(everything, 0)} | {share(everything, 1)} |")
    print(f"\ncorrect title queries: first {first}/{args.papers}; same ranking as uncorrected "
          f"{same_rank}/{args.papers}; vocabulary + spelling.js bytes fetched: max {max(fetches_on_correct)} B "
          f"over {len(fetches_on_correct)} cold runs")
    print(f"corrected queries, cold, gzip, over {len(spelling_bytes)} typos: vocabulary + spelling.js median "
          f"{statistics.median(spelling_bytes):,.0f} B, max {max(spelling_bytes):,} B; everything beyond the "
          f"uncorrected run median {statistics.median(beyond_uncorrected):,.0f} B, max {max(beyond_uncorrected):,} B; "
          f"beyond the query spelt right median {statistics.median(beyond_exact):,.0f} B, max {max(beyond_exact):,} B")
    print(f"largest beyond the uncorrected run: {largest[1]!r}, by kind of file, corrected {largest[2]}, "
          f"uncorrected {largest[3]}")
    print(f"from Pagefind's answer to the page's, cold: correct queries median {statistics.median(correct_ms):.0f} ms, "
          f"max {max(correct_ms):.0f} ms; misspelt queries (correction) median {statistics.median(added_ms):.0f} ms, "
          f"max {max(added_ms):.0f} ms, over {len(correct_ms)} and {len(added_ms)} queries")

    if args.seeds is not None:
        return 0
    entries = corpus_entries(args.corpus)
    sizes = {n: list_sizes(entries, n) for n in (500, 1000, len(entries))}
    folders = sorted(sizes[len(entries)][1])
    print("\n| papers | words | " + " | ".join(f"largest list in {folder}/, gzip" for folder in folders)
          + " |\n| --- | --- | " + " | ".join("---" for _ in folders) + " |")
    for n, (words, largest) in sizes.items():
        print(f"| {n:,} | {words:,} | " + " | ".join(f"{largest[folder]:,} B" for folder in folders) + " |")
    # Heaps' law, fitted on the first and last sizes: lists grow as papers ** beta.
    n0, n1 = 500, len(entries)
    extrapolated = []
    for folder in folders:
        g0, g1 = sizes[n0][1][folder], sizes[n1][1][folder]
        beta = math.log(g1 / g0) / math.log(n1 / n0)
        extrapolated.append(f"{g1 * (10_000 / n1) ** beta:,.0f} B (exponent {beta:.2f})")
    print("| 10,000 (extrapolated) | | " + " | ".join(extrapolated) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
