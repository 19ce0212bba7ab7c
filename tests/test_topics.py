"""Topic assignment: the taxonomy's constraints on the real seeds, matching, overrides, bad files."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from conftest import FIXTURE_SEEDS, REAL_SEEDS, REAL_SITE_SRC, ROOT, outputs_under_hash_seeds
from paper_catalogue.diagnostics import BuildError
from paper_catalogue.export import read_export
from paper_catalogue.models import Catalogue, Paper, SiteConfig, Source
from paper_catalogue.pipeline import BuildOptions, build, read_catalogue
from paper_catalogue.topics import (
    assign_topics,
    load_taxonomy,
    load_topic_overrides,
    parse_taxonomy,
    parse_topic_overrides,
    TopicCount,
    TopicReport,
    name_fit,
    name_words,
    topic_scores,
    with_name_fit,
)

SITE_SRC = REAL_SITE_SRC


@pytest.fixture(scope="module")
def real_catalogue() -> Catalogue:
    catalogue, _ = read_catalogue(REAL_SEEDS, SiteConfig())
    return catalogue


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy(SITE_SRC / "topics.toml")


@pytest.fixture(scope="module")
def assigned(real_catalogue, taxonomy):
    return assign_topics(real_catalogue, taxonomy, load_topic_overrides(SITE_SRC / "topic_overrides.toml"))


def by_id(catalogue: Catalogue) -> dict[str, Paper]:
    return {paper.id: paper for paper in catalogue.papers}


# --- the taxonomy's fit to the sample catalogue, measured ------------------------------------------


def test_every_paper_gets_one_to_three_known_topics(assigned, taxonomy):
    slugs = {topic.slug for topic in taxonomy.topics}
    catch_all = taxonomy.catch_all.slug
    for paper in assigned.catalogue.papers:
        assert 1 <= len(paper.topics) <= 3, paper.id
        assert len(set(paper.topics)) == len(paper.topics), paper.id
        assert set(paper.topics) <= slugs, paper.id
        assert catch_all not in paper.topics or paper.topics == (catch_all,), paper.id


def test_taxonomy_fits_the_real_catalogue(assigned, taxonomy):
    papers = assigned.catalogue.papers
    counts = Counter(slug for paper in papers for slug in paper.topics)
    catch_all = taxonomy.catch_all.slug
    substantial = [slug for slug, count in counts.items() if slug != catch_all and count >= 5]
    assert len(substantial) >= 8
    assert max(counts.values()) <= 0.40 * len(papers)
    assert counts[catch_all] <= 0.05 * len(papers)
    # Every topic the site owner defined is in use: none of the "fewer than 3 papers" warnings.
    assert all(counts[t.slug] >= 3 for t in taxonomy.topics if not t.catch_all)
    assert assigned.warnings == []


def test_report_counts_papers_per_topic(assigned, taxonomy):
    report = assigned.report
    counts = Counter(slug for paper in assigned.catalogue.papers for slug in paper.topics)
    primary = Counter(paper.topics[0] for paper in assigned.catalogue.papers)
    assert [c.slug for c in report.counts] == [t.slug for t in taxonomy.topics]
    for count in report.counts:
        assert (count.papers, count.primary) == (counts[count.slug], primary[count.slug])
    text = str(report)
    assert f"254 papers in {len(taxonomy.topics)} topics" in text
    assert f"{counts[taxonomy.catch_all.slug]} in the catch-all" in text
    # Topics by name, not slug; the report's lines follow the taxonomy's order.
    lines = text.splitlines()[1:len(taxonomy.topics) + 1]
    assert [line.split("  ")[1].removesuffix(" (catch-all)") for line in lines] == \
        [t.name for t in taxonomy.topics]
    assert "mixture-of-experts" not in text


def test_catalogue_carries_the_topics_in_taxonomy_order(assigned, taxonomy):
    topics = assigned.catalogue.topics
    assert [t.slug for t in topics] == [t.slug for t in taxonomy.topics]
    assert all(t.name and t.description for t in topics)
    assert [t.slug for t in topics if t.catch_all] == [taxonomy.catch_all.slug]


OBVIOUS_PAIRS = {
    "speculative-parallel-decoding": ("specdec-boosting-speculative-decoding-via-adaptive-candidate-lengths",
                                      "spectr-fast-speculative-decoding-via-optimal-transport"),
    "kv-cache-long-context": ("snapkv-llm-knows-what-you-are-looking-for-before-generation",
                              "reducing-transformer-key-value-cache-size-with-cross-layer-attention"),
    "preference-alignment": ("implicit-reward-as-the-bridge-a-unified-view-of-sft-and-dpo-connections",
                             "the-hitchhikers-guide-to-human-alignment-with-po"),
    "mixture-of-experts": ("openmoe-an-early-effort-on-open-mixture-of-experts-language-models",
                           "read-me-refactorizing-llms-as-router-decoupled-mixture-of-experts-with-system-7269636a"),
    "quantisation-compression": ("zeroquant-v2-exploring-post-training-quantization-in-llms-from-comprehensive-1baf58af",
                                 "q-vlm-post-training-quantization-for-large-vision-language-models"),
    "vision-language": ("ritual-random-image-transformations-as-a-universal-anti-hallucination-lever-in-86913310",
                        "vdgd-mitigating-lvlm-hallucinations-in-cognitive-prompts-by-bridging-the-visual-49c4fdcb"),
    "retrieval-rag": ("optimizing-dense-retrieval-model-training-with-hard-negatives",
                      "answering-unseen-questions-with-smaller-language-models-using-rationale-56b9e6a9"),
}


@pytest.mark.parametrize("slug", sorted(OBVIOUS_PAIRS))
def test_obviously_related_papers_share_their_topic(assigned, slug):
    papers = by_id(assigned.catalogue)
    for paper_id in OBVIOUS_PAIRS[slug]:
        assert slug in papers[paper_id].topics, (paper_id, papers[paper_id].topics)


def test_assignment_is_deterministic_across_processes():
    """Same input, same topics: also with another string-hash seed, so no set order leaks in."""
    script = (
        "import hashlib, json; from pathlib import Path\n"
        "from paper_catalogue.pipeline import read_catalogue\n"
        "from paper_catalogue.models import SiteConfig\n"
        "from paper_catalogue.topics import assign_topics, load_taxonomy\n"
        f"c, _ = read_catalogue(Path({str(REAL_SEEDS)!r}), SiteConfig())\n"
        f"a = assign_topics(c, load_taxonomy(Path({str(SITE_SRC / 'topics.toml')!r})))\n"
        "print(json.dumps([[p.id, p.topics] for p in a.catalogue.papers]))\n"
    )
    outputs = outputs_under_hash_seeds(script)
    assert outputs[0] == outputs[1]
    assert len(json.loads(outputs[0])) == 254


# --- matching --------------------------------------------------------------------------------------

TAXONOMY = """\
[assignment]
title_weight = 3.0
abstract_cap = 2
min_score = 2.0
secondary_ratio = 0.5
strong_score = 100.0

[[topic]]
slug = "moe"
name = "Mixture of experts"
description = "Sparse experts."
[topic.terms]
"mixture of experts" = 2
"router" = 1

[[topic]]
slug = "quant"
name = "Quantisation"
[topic.terms]
"quantiz*" = 2

[[topic]]
slug = "misc"
name = "Other"
catch_all = true
"""


def paper(title: str, abstract: str = "", id_: str | None = None) -> Paper:
    from paper_catalogue.urls import paper_id
    return Paper(id=id_ or paper_id(title), title=title, abstract=abstract,
                 sources=(Source(file="x.txt", line=1),))


def test_terms_match_whole_words_plurals_prefixes_and_hyphens():
    taxonomy = parse_taxonomy(TAXONOMY, "topics.toml")
    scores = topic_scores("Sparse Mixture-of-Experts", "Routers route. A router.", taxonomy)
    # title: 2 x 3; abstract: "routers" and "router" count 2 (the cap), "route" is not "router".
    assert scores == {"moe": 2 * 3.0 + 1 * 2}
    assert topic_scores("Quantized LLMs", "quantization and QUANTISING", taxonomy) == {"quant": 2 * 3.0 + 2}
    assert topic_scores("Expert mixtures", "unquantized", taxonomy) == {}


def test_primary_topic_first_and_catch_all_only_when_nothing_fits():
    taxonomy = parse_taxonomy(TAXONOMY, "topics.toml")
    catalogue = Catalogue(papers=(
        paper("Quantized mixture of experts", "A router."),   # moe 6+1, quant 6
        paper("Routing", "Nothing about the topics."),
        paper("A router", "and quantization"),               # moe 3, quant 2 (at least half)
    ))
    papers = assign_topics(catalogue, taxonomy).catalogue.papers
    assert [p.topics for p in papers] == [("moe", "quant"), ("misc",), ("moe", "quant")]


def test_named_first_puts_the_topic_a_paper_names_first_and_keeps_its_other_topics():
    catalogue = Catalogue(papers=(
        paper("A router", "and quantization"),              # moe 3, quant 2: names "Quantisation" only
        paper("Quantized mixture of experts", "A router."),  # names both: the higher score leads
        paper("Router design", "Nothing else."),             # names neither: the score decides
    ))
    by_score = assign_topics(catalogue, parse_taxonomy(TAXONOMY, "topics.toml")).catalogue.papers
    named = parse_taxonomy(TAXONOMY.replace("strong_score = 100.0", "strong_score = 100.0\nnamed_first = true"),
                           "topics.toml")
    by_name = assign_topics(catalogue, named).catalogue.papers
    assert [p.topics for p in by_score] == [("moe", "quant"), ("moe", "quant"), ("moe",)]
    assert [p.topics for p in by_name] == [("quant", "moe"), ("moe", "quant"), ("moe",)]
    # A paper naming none of its topics needs unnamed_min_score as well: "Router design" scores 3.
    strict = parse_taxonomy(TAXONOMY.replace("strong_score = 100.0", "strong_score = 100.0\nnamed_first = true"
                                             "\nunnamed_min_score = 4"), "topics.toml")
    by_strict = assign_topics(catalogue, strict).catalogue.papers
    assert [p.topics for p in by_strict] == [("quant", "moe"), ("moe", "quant"), ("misc",)]


def test_a_thin_topic_is_no_warning():
    """A topic holding 1 paper is advice on the taxonomy's fit, for the report; never a warning
    that would fail --strict."""
    taxonomy = parse_taxonomy(TAXONOMY, "site_src/topics.toml")
    titles = [f"Mixture of experts {n}" for n in range(6)] + ["Quantization"]
    result = assign_topics(Catalogue(papers=tuple(paper(t) for t in titles)), taxonomy)
    assert result.report.count("quant") == 1
    assert result.warnings == []


# --- overrides -------------------------------------------------------------------------------------


def test_overrides_pin_topics_and_list_unknown_ids_in_the_report():
    taxonomy = parse_taxonomy(TAXONOMY, "topics.toml")
    catalogue = Catalogue(papers=(paper("Quantization", id_="a"), paper("Mixture of experts", id_="b")))
    overrides = parse_topic_overrides(
        '# pins\n'
        'a = ["moe", "quant", "moe"]\n'
        '"no-such-paper" = ["moe"]\n',
        "site_src/topic_overrides.toml",
    )
    result = assign_topics(catalogue, taxonomy, overrides)
    papers = by_id(result.catalogue)
    assert papers["a"].topics == ("moe", "quant")
    assert papers["b"].topics == ("moe",)  # no pin: the terms decide
    assert result.report.pinned == 1 and result.warnings == []
    assert result.report.waiting_pins == ("no-such-paper (site_src/topic_overrides.toml:3)",)
    assert "no-such-paper (site_src/topic_overrides.toml:3)" in str(result.report)


@pytest.mark.parametrize(("text", "expected"), [
    ('a = ["moe"]\nb = "quant"\n',
     "o.toml:2: error: topics for 'b' must be a non-empty list of topic slugs"),
    ('a = ["moe", "nonsense"]\n', "o.toml:1: error: unknown topic 'nonsense' for 'a'; the topics are: "),
    ('a = ["moe"]\n\na = ["quant"]\n', "o.toml:3: error: not valid TOML: Cannot overwrite a value"),
    ('a = ["x", "quant", "moe", "misc"]\n', "o.toml:1: error: 'a' is pinned to 4 topics; a paper has at most 3"),
])
def test_bad_overrides_are_errors_at_their_line(text, expected):
    taxonomy = parse_taxonomy(TAXONOMY.replace('[[topic]]\nslug = "misc"', '[[topic]]\nslug = "x"\n'
                                               'name = "X"\nterms = {"x" = 1}\n\n[[topic]]\nslug = "misc"'),
                              "topics.toml")
    with pytest.raises(BuildError) as error:
        assign_topics(Catalogue(papers=(paper("T", id_="a"),)), taxonomy,
                      parse_topic_overrides(text, "o.toml"))
    assert expected in str(error.value)


def test_the_site_overrides_apply_to_the_real_catalogue(assigned, real_catalogue):
    overrides = load_topic_overrides(SITE_SRC / "topic_overrides.toml")
    assert overrides.pins
    papers = by_id(assigned.catalogue)
    for pin in overrides.pins:
        assert papers[pin.paper_id].topics == pin.slugs
    assert assigned.report.pinned == len(overrides.pins)


# --- bad taxonomy files ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ('[[topic]]\nslug = "a"\nname = \n', "topics.toml:3: error: not valid TOML: Invalid value"),
    ('[[topic]]\nslug = "a"\nname = "A"\nterms = {"b" = 1}\n\n[[topic]]\nslug = "c"\n'
     'catch_all = true\n', "topics.toml:6: error: topic.1.name: Field required"),
    ('[[topic]]\nslug = "a"\nname = "A"\n[topic.terms]\n"fine" = 1\n"bad" = 0\n',
     "topics.toml:6: error: topic.0.terms.bad: Input should be greater than 0"),
    ('[[topic]]\nslug = "a"\nname = "A"\n[topic.terms]\n"fine" = 1\n"--" = 2\n',
     "topics.toml:6: error: topic.0.terms.--: term '--' has no letters or digits"),
    ('[[topic]]\nslug = "a"\nname = "A"\n[topic.terms]\n"fine" = 1\n"quant*ized" = 2\n',
     "topics.toml:6: error: topic.0.terms.quant*ized: term 'quant*ized' can never match"),
    ('[[topic]]\nslug = "Not A Slug"\nname = "A"\n', "topics.toml:2: error: topic.0.slug: String should match"),
    ('[[topic]]\nslug = "a"\nname = "A"\ncolour = "red"\n', "topics.toml:4: error: topic.0.colour: Extra inputs"),
    ('[[topic]]\nslug = "a"\nname = "A"\nterms = {"b" = 1}\n\n[[topic]]\nslug = "a"\nname = "B"\n'
     'terms = {"c" = 1}\n', "topics.toml:6: error: topic slug 'a' is defined twice (first at line 1)"),
    ('[[topic]]\nslug = "a"\nname = "A"\nterms = {"b" = 1}\n',
     "topics.toml: error: exactly one topic needs `catch_all = true`"),
    ('[[topic]]\nslug = "a"\nname = "A"\n\n[[topic]]\nslug = "o"\nname = "O"\ncatch_all = true\n',
     "topics.toml:1: error: topic 'a' lists no terms"),
    ('[[topic]]\nslug = "o"\nname = "O"\ncatch_all = true\nterms = {"b" = 1}\n',
     "topics.toml:1: error: the catch-all topic 'o' must not list terms"),
    ('topic = []\n', "topics.toml: error: topic: List should have at least 1 item"),
])
def test_bad_taxonomy_is_a_clear_error_naming_file_and_line(text, expected):
    with pytest.raises(BuildError) as error:
        parse_taxonomy(text, "topics.toml")
    assert expected in str(error.value)


def test_bad_taxonomy_stops_the_build_with_exit_1(tmp_path):
    site_src = tmp_path / "site_src"
    site_src.mkdir()
    (site_src / "topics.toml").write_text('[[topic]]\nslug = "a"\n', encoding="utf-8")
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--seeds", str(FIXTURE_SEEDS),
                             "--out", str(tmp_path / "out"), "--site-src", str(site_src)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert f"{site_src / 'topics.toml'}:1: error: topic.0.name: Field required" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()


def test_undecodable_taxonomy_names_the_file(tmp_path):
    path = tmp_path / "topics.toml"
    path.write_bytes(b'[[topic]]\nslug = "\xff"\n')
    with pytest.raises(BuildError, match=r"topics\.toml:2: error: not UTF-8 \(invalid byte at offset 18\)"):
        load_taxonomy(path)


def test_a_site_without_a_taxonomy_has_no_topics(tmp_path):
    result = build(BuildOptions(seeds=FIXTURE_SEEDS, out=tmp_path / "out", site_src=tmp_path))
    assert result.topic_report is None and result.catalogue.topics == ()
    assert all(p.topics == () for p in result.catalogue.papers)


# --- the build: report and papers.json -------------------------------------------------------------


def test_build_prints_the_topic_report_unless_quiet(tmp_path):
    def run(*extra):
        return subprocess.run([sys.executable, str(ROOT / "build.py"), "--seeds", str(FIXTURE_SEEDS),
                               "--site-src", str(SITE_SRC), "--out", str(tmp_path / "out"), *extra],
                              cwd=ROOT, capture_output=True, text=True, timeout=300)
    loud, quiet = run(), run("--quiet")
    assert loud.returncode == quiet.returncode == 0
    assert "topics: 4 papers in" in loud.stdout and "Mixture of experts" in loud.stdout
    assert quiet.stdout == ""


def test_papers_json_lists_topics_with_counts_and_urls(tmp_path):
    build(BuildOptions(seeds=REAL_SEEDS, out=tmp_path / "out", site_src=SITE_SRC))
    document = json.loads((tmp_path / "out" / "papers.json").read_text(encoding="utf-8"))
    papers = read_export(tmp_path / "out")
    counts = Counter(slug for paper in papers for slug in paper["topics"])
    topics = document["topics"]
    assert [set(t) for t in topics] == [{"slug", "name", "url", "count"}] * len(topics)
    assert {t["slug"]: t["count"] for t in topics} == {t["slug"]: counts[t["slug"]] for t in topics}
    assert all(t["url"] == f"topics/{t['slug']}/" for t in topics)
    assert set(counts) <= {t["slug"] for t in topics}
    assert all(1 <= len(p["topics"]) <= 3 for p in papers)


# --- the report: names, plurals, advice on balance -------------------------------------------------


def report_of(shares: dict[str, int], total: int, catch_all: str = "misc") -> TopicReport:
    return TopicReport(total=total, catch_all=catch_all,
                       counts=tuple(TopicCount(slug, f"Topic {slug}", papers, papers)
                                    for slug, papers in shares.items()))


def test_report_speaks_correct_english():
    text = str(report_of({"a": 1, "misc": 0}, total=1))
    assert text.splitlines() == [
        "topics: 1 paper in 2 topics, 0 in the catch-all (0.0%), 0 pinned by overrides",
        "  Topic a                 1 paper  (1 primary)",
        "  Topic misc (catch-all)  0 papers (0 primary)",
    ]
    assert "1 papers" not in text


def test_report_advises_on_a_large_topic_and_a_small_topic():
    report = report_of({"big": 62, "fine": 30, "tiny": 1, "misc": 7}, total=200)
    assert report.advice() == [
        '"Topic big" holds 31.0% of the papers (more than 30%): consider splitting it',
        '"Topic tiny" holds 0.5% of the papers (less than 1%): consider merging it into another '
        "topic or broadening its terms",
    ]  # the catch-all's 3.5% is within bounds
    assert str(report).splitlines()[-3:] == ["advice on balance:"] + [f"  {line}" for line in report.advice()]


def test_report_advises_on_a_catch_all_above_five_percent_and_stays_quiet_within_bounds():
    assert report_of({"a": 90, "b": 89, "misc": 11}, total=190).advice() == [
        "\"Topic a\" holds 47.4% of the papers (more than 30%): consider splitting it",
        "\"Topic b\" holds 46.8% of the papers (more than 30%): consider splitting it",
        'the catch-all "Topic misc" holds 5.8% of the papers (more than 5%): add terms to the topics '
        "its papers belong in, or a topic for them",
    ]
    balanced = report_of({slug: 25 for slug in "abcd"} | {"misc": 0}, total=100)
    assert balanced.advice() == [] and "advice" not in str(balanced)


def test_small_catalogues_get_no_advice():
    """Below 100 papers one paper is more than 1%, and three topics of three papers are 33% each."""
    assert report_of({"a": 3, "b": 3, "c": 3, "misc": 0}, total=9).advice() == []


def test_advice_is_not_a_warning_and_strict_builds_pass(real_catalogue, tmp_path):
    """A topic holding a third of the papers, and a catch-all holding more, are advice in the report,
    never warnings that --strict fails on."""
    site_src = tmp_path / "site_src"
    site_src.mkdir()
    (site_src / "topics.toml").write_text(
        '[[topic]]\nslug = "llm"\nname = "Language models"\nterms = {"language model" = 2}\n\n'
        '[[topic]]\nslug = "rest"\nname = "Everything else"\nterms = {"learning" = 2, "data" = 1}\n\n'
        '[[topic]]\nslug = "other"\nname = "Other"\ncatch_all = true\n', encoding="utf-8")
    result = build(BuildOptions(seeds=REAL_SEEDS, out=tmp_path / "out", site_src=site_src,
                                strict=True, search_index=False))
    assert [warning for warning in result.warnings if warning.severity == "warning"] == []
    advice = result.topic_report.advice()
    assert any(line.startswith('"Everything else" holds') and "consider splitting it" in line
               for line in advice)
    assert any(line.startswith('the catch-all "Other" holds') for line in advice)
    assert "advice on balance:" in str(result.topic_report)


def test_topics_report_command_prints_the_build_report(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "topics", "report", "--seeds", str(REAL_SEEDS),
                             "--site-src", str(REAL_SITE_SRC)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assigned = assign_topics(read_catalogue(REAL_SEEDS, SiteConfig())[0], load_taxonomy(REAL_SITE_SRC / "topics.toml"),
                             load_topic_overrides(REAL_SITE_SRC / "topic_overrides.toml"))
    assert result.stdout == f"{with_name_fit(assigned.report, assigned.catalogue.papers)}\n"
    # The build's report, each topic with its name fit besides the catch-all.
    lines = result.stdout.splitlines()
    assert lines[0] == str(assigned.report).splitlines()[0]
    assert any(line.startswith("  Mixture of experts") and line.endswith("name fit 100%") for line in lines)
    assert next(line for line in lines if "(catch-all)" in line).endswith("primary)")


def test_topics_report_without_a_taxonomy_says_how_to_make_one(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "topics", "report",
                             "--site-src", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 1
    assert f"{tmp_path / 'topics.toml'} does not exist" in result.stderr
    assert "topics suggest --out" in result.stderr and "Traceback" not in result.stderr


# --- name fit ---------------------------------------------------------------------------------------


def test_name_words_leave_out_joining_words_and_words_every_paper_has():
    assert name_words("Gaussian splatting and 3D reconstruction") == ["gaussian", "splatting", "3d", "reconstruction"]
    assert name_words("Large language models for the Mixture-of-Experts") == ["mixture", "experts"]
    assert name_words("LLMs and learning") == []


def test_name_fit_matches_a_word_of_the_name_on_its_first_five_letters_in_title_or_abstract():
    papers = [
        paper("Reconstructing scenes", "We rebuild rooms."),  # "reconstruction" by its first five letters
        paper("A study", "Fast GAUSSIANS for rendering."),  # any case, in the abstract
        paper("Splat", "A short word."),  # "splat" is all of "splatting"'s first five letters
        paper("Spla", "Four letters are not five."),
        paper("Large language models", "Learning with LLMs and models."),  # left-out words only
        paper("Anti-reconstruction", "Hyphens part words."),
        paper("Preconstruction", "A prefix inside a word is not one."),
        paper("3D-aware rendering", "A short word of the name matches as a prefix."),
    ]
    assert name_fit("Gaussian splatting and 3D reconstruction", papers) == 5 / 8
    assert name_fit("Large language models", papers) == 0.0  # no word left to match
    assert name_fit("Anything", []) is None


def test_report_shows_name_fit_and_advises_on_names_below_sixty_percent():
    papers = [paper(title, "").model_copy(update={"topics": topics}) for title, topics in [
        ("Speech recognition", ("speech",)), ("Speech synthesis", ("speech",)),
        ("Robot grasping", ("robots", "speech")), ("Robot arms", ("robots",)), ("A benchmark", ("robots",)),
        ("Also a benchmark", ("robots",)), ("Unsorted", ("misc",)),
    ]]
    report = with_name_fit(TopicReport(total=7, catch_all="misc", counts=(
        TopicCount("speech", "Speech", 3, 2), TopicCount("robots", "Robots", 4, 4),
        TopicCount("misc", "Other", 1, 1))), papers)
    assert [count.name_fit for count in report.counts] == [1.0, 0.5, None]
    assert report.name_advice() == [
        '"Robots": 50% of its 4 primary papers hold a word of its name (less than 60%): rename it after '
        "what they share, or give its terms to the topics they belong in"]
    lines = str(report).splitlines()
    assert lines[1].endswith("2 primary), name fit 100%") and lines[2].endswith("4 primary), name fit 50%")
    assert lines[3].endswith("(1 primary)")
    assert lines[-2:] == ["advice on names:", f"  {report.name_advice()[0]}"]
    three_of_four = with_name_fit(report, papers[:2] + [papers[2].model_copy(update={"topics": ("robots",)})]
                                  + papers[3:5] + papers[6:])
    assert three_of_four.counts[1].name_fit == 2 / 3 and three_of_four.name_advice() == []
    assert "advice on names" not in str(three_of_four)
