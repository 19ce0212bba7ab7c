"""`build.py topics suggest`: subjects found, the file the build reads unchanged, determinism, errors."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from collections import defaultdict

import pytest

from conftest import REAL_SEEDS, REAL_SITE_SRC, ROOT
from paper_catalogue.models import Catalogue, Paper, SiteConfig, Source
from paper_catalogue.pipeline import BuildOptions, build, read_catalogue
from paper_catalogue.related import STOP_WORDS
from paper_catalogue.topic_suggest import (
    CATCH_ALL_SHARE,
    CATCH_ALL_SLUG,
    EXTRA_STOP_WORDS,
    RULES,
    WORD_PARTS,
    default_count,
    defined_abbreviations,
    fitted_rules,
    paper_texts,
    suggest_taxonomy,
    taxonomy_toml,
)
from paper_catalogue.topics import NAME_FIT_WARN_BELOW, assign_topics, name_fit, parse_taxonomy, with_name_fit

THREE_SUBJECTS = ROOT / "tests" / "fixtures" / "three_subjects"
"""18 real 2024 listings: 6 on Gaussian splatting, 6 on speech, 6 on robots, interleaved."""
SUBJECTS = {
    "splatting": ("HDR-GS", "3DitScene", "HumanSplat", "CRiM-GS", "WildGaussians", "StyleSplat"),
    "speech": ("Denoising LM", "Seed-TTS", "LiveSpeech", "VALL-E 2", "Interface Design for Self-Supervised Speech",
               "Towards Robust Speech Representation"),
    "robots": ("RoboCasa", "Leveraging Locality", "IRASim", "LLaRA", "GRUtopia", "Cross Anything"),
}


def suggest(*args, env=None, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "build.py"), "topics", "suggest",
                           "--site-src", str(REAL_SITE_SRC), *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=300, env=env)


def subject_of(title: str) -> str:
    return next(subject for subject, starts in SUBJECTS.items() if title.startswith(starts))


@pytest.fixture(scope="module")
def three_subjects_file() -> str:
    result = suggest("--seeds", THREE_SUBJECTS)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_three_separate_subjects_give_three_topics_each_holding_its_own_papers(three_subjects_file):
    taxonomy = parse_taxonomy(three_subjects_file, "topics.toml")
    assert len(taxonomy.topics) == 4 and taxonomy.topics[-1].catch_all  # three, then the catch-all
    catalogue, _ = read_catalogue(THREE_SUBJECTS, SiteConfig())
    assert len(catalogue.papers) == 18
    by_topic = defaultdict(set)
    for paper in assign_topics(catalogue, taxonomy).catalogue.papers:
        by_topic[paper.topics[0]].add(subject_of(paper.title))
    assert taxonomy.catch_all.slug not in by_topic
    assert sorted(map(sorted, by_topic.values())) == [["robots"], ["speech"], ["splatting"]]


def test_each_topic_has_a_name_slug_description_terms_and_its_central_papers(three_subjects_file):
    data = tomllib.loads(three_subjects_file)
    topics = data["topic"]
    for topic in topics[:-1]:
        assert not topic["name"][0].islower() and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", topic["slug"])
        assert topic["description"].startswith("Papers on ") and topic["description"].count(".") == 1
        assert topic["terms"] and all(weight > 0 for weight in topic["terms"].values())
    assert topics[-1]["catch_all"] is True and "terms" not in topics[-1]
    assert len({topic["slug"] for topic in topics}) == len(topics)
    # Above each topic's keys, a comment names its three most central papers by title and id.
    blocks = three_subjects_file.split("[[topic]]\n")[1:-1]
    for block, topic in zip(blocks, topics):
        central = re.findall(r"^#   (.+) \(([a-z0-9-]+)\)$", block, re.MULTILINE)
        assert len(central) == 3
        catalogue, _ = read_catalogue(THREE_SUBJECTS, SiteConfig())
        titles = {paper.id: paper.title for paper in catalogue.papers}
        assert all(titles[paper_id] == title for title, paper_id in central)
        assert len({subject_of(title) for title, _ in central}) == 1


def test_names_and_terms_leave_out_url_parts_boilerplate_and_numbers():
    catalogue, _ = read_catalogue(REAL_SEEDS, SiteConfig())
    data = tomllib.loads(taxonomy_toml(suggest_taxonomy(catalogue)))
    said = [word for topic in data["topic"] for term in topic.get("terms", {}) for word in term.split()]
    # A name's words, but for the joining "and" and the words of compounds the papers write with
    # hyphens ("key-value cache", "chain-of-thought"): those are written as the papers write them.
    said += [word for topic in data["topic"][:-1] for part in topic["name"].lower().split()
             if part != "and" and "-" not in part for word in re.findall(r"[a-z0-9]+", part)]
    assert said
    for word in said:
        assert word not in STOP_WORDS, word  # https, github, com, propose, results...
        assert not re.fullmatch(r"\d+|\d+[bkmx]", word), word
    # The terms leave out the prose of abstracts too; a name may hold a prose word its topic's
    # titles share ("Evaluation": Namer._titled).
    assert not {term for topic in data["topic"] for term in topic.get("terms", {})} & EXTRA_STOP_WORDS
    single_words = [term for topic in data["topic"] for term in topic.get("terms", {}) if " " not in term]
    assert not set(single_words) & WORD_PARTS


def test_the_written_file_round_trips_through_the_build(tmp_path):
    """The build reads the suggested file unchanged, without a warning, and places every paper."""
    site_src = tmp_path / "site_src"
    site_src.mkdir()
    target = site_src / "topics.toml"
    result = suggest("--seeds", THREE_SUBJECTS, "--out", target)
    assert result.returncode == 0 and result.stdout == ""
    assert f"wrote {target}" in result.stderr
    built = build(BuildOptions(seeds=THREE_SUBJECTS, out=tmp_path / "out", site_src=site_src,
                               strict=True, search_index=False))
    assert built.warnings == []
    catch_all = next(topic.slug for topic in built.catalogue.topics if topic.catch_all)
    assert all(paper.topics and catch_all not in paper.topics for paper in built.catalogue.papers)
    assert (tmp_path / "out" / "topics" / built.catalogue.papers[0].topics[0] / "index.html").exists()


def test_a_suggestion_for_the_real_seeds_assigns_every_paper_without_a_warning():
    catalogue, _ = read_catalogue(REAL_SEEDS, SiteConfig())
    suggestion = suggest_taxonomy(catalogue)
    # 8 groups to start from; a grab-bag may be grouped again, a group no name fits dropped.
    assert default_count(len(catalogue.papers)) == 8 <= len(suggestion.topics) <= 12
    assigned = assign_topics(catalogue, parse_taxonomy(taxonomy_toml(suggestion), "topics.toml"))
    assert assigned.warnings == []
    assert all(paper.topics for paper in assigned.catalogue.papers)
    in_catch_all = sum(paper.topics[0] == CATCH_ALL_SLUG for paper in assigned.catalogue.papers)
    assert in_catch_all == suggestion.unassigned <= CATCH_ALL_SHARE * len(catalogue.papers)
    report = with_name_fit(assigned.report, assigned.catalogue.papers)
    assert all(count.name_fit >= NAME_FIT_WARN_BELOW for count in report.counts if count.slug != CATCH_ALL_SLUG)
    # The suggestion's own count of each topic's papers is the build's.
    primary = defaultdict(int)
    for paper in assigned.catalogue.papers:
        primary[paper.topics[0]] += 1
    assert [topic.papers for topic in suggestion.topics] == [primary[t.slug] for t in suggestion.topics]


def test_the_same_catalogue_gives_the_same_file_in_every_process():
    outputs = {suggest("--seeds", THREE_SUBJECTS, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
               for seed in ("1", "2")}
    assert len(outputs) == 1 and outputs.pop().startswith("# A taxonomy suggested")


def test_out_refuses_to_overwrite_without_force(tmp_path):
    target = tmp_path / "topics.toml"
    target.write_text("# mine\n", encoding="utf-8")
    refused = suggest("--seeds", THREE_SUBJECTS, "--out", target)
    assert refused.returncode == 1
    assert f"error: {target} exists; give --force to replace it" in refused.stderr
    assert target.read_text(encoding="utf-8") == "# mine\n"
    forced = suggest("--seeds", THREE_SUBJECTS, "--out", target, "--force")
    assert forced.returncode == 0, forced.stderr
    assert target.read_text(encoding="utf-8").startswith("# A taxonomy suggested")


def test_count_sets_the_number_of_topics():
    result = suggest("--seeds", THREE_SUBJECTS, "--count", "2")
    assert result.returncode == 0, result.stderr
    assert len(tomllib.loads(result.stdout)["topic"]) == 3  # two and the catch-all
    assert suggest("--seeds", THREE_SUBJECTS, "--count", "0").returncode == 2


def test_default_count_suits_the_catalogue_size():
    assert [default_count(n) for n in (1, 9, 18, 254, 2212, 10_000, 100_000)] == [1, 1, 3, 8, 18, 30, 30]


@pytest.mark.parametrize("content", [b"Title\n\n\xff\xfe not text\n", None])
def test_a_bad_catalogue_is_the_same_located_error_as_in_the_build(tmp_path, content):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    if content is not None:
        (seeds / "dump.txt").write_bytes(content)
    suggested = suggest("--seeds", seeds)
    built = subprocess.run([sys.executable, str(ROOT / "build.py"), "--seeds", str(seeds), "--site-src",
                            str(REAL_SITE_SRC), "--out", str(tmp_path / "out")],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert suggested.returncode == built.returncode == 1
    error = suggested.stderr.strip()
    assert error.startswith(f"error: {seeds}") and "Traceback" not in suggested.stderr
    assert built.stderr.startswith(error)  # the build adds "; <out> left unchanged"
    if content is not None:
        assert error == f"error: {seeds / 'dump.txt'}: not UTF-8: invalid byte at offset 7 (line 3)"


def test_titles_with_quotes_and_backslashes_stay_valid_toml(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    text = (THREE_SUBJECTS / "000_three_subjects.txt").read_text(encoding="utf-8")
    text = text.replace("WildGaussians: 3D Gaussian Splatting in the Wild",
                        'WildGaussians: "3D" Gaussian Splatting in the \\Wild\\ \\x')
    (seeds / "dump.txt").write_text(text, encoding="utf-8")
    result = suggest("--seeds", seeds)
    assert result.returncode == 0, result.stderr
    assert len(parse_taxonomy(result.stdout, "topics.toml").topics) == 4


# --- the benchmark's measures ----------------------------------------------------------------------


def test_separation_leaves_each_paper_out_of_its_own_centroid():
    from scipy import sparse

    from bench.topics_suggest import separation

    vectors = sparse.csr_matrix([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.6, 0.8]])
    assert separation(vectors, ["a", "a", "b", "b", "other"], "other") == 1.0
    # Each paper's only companion points elsewhere, and its twin is in the other topic.
    assert separation(vectors, ["a", "b", "a", "b", "other"], "other") == 0.0


def test_corpus_records_become_seed_files_the_build_reads(tmp_path):
    import json

    from bench.corpus_seeds import write_corpus_seeds

    corpus = tmp_path / "corpus.jsonl"
    records = [{"title": f"Paper {n}: A\n  Study of $\\alpha$", "abstract": f"Line one\nline {n}.",
                "date": "2024-05-2" + str(n), "upvotes": n, "authors": n + 1, "organization": None}
               for n in range(1, 4)]
    corpus.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    catalogue, warnings = read_catalogue(write_corpus_seeds(corpus, tmp_path / "seeds"), SiteConfig())
    assert warnings == []
    assert sorted(paper.title for paper in catalogue.papers) == [f"Paper {n}: A Study of $\\alpha$"
                                                                 for n in range(1, 4)]
    assert {(paper.abstract, paper.upvotes, paper.authors, str(paper.published)) for paper in catalogue.papers} \
        == {(f"Line one line {n}.", n, n + 1, f"2024-05-2{n}") for n in range(1, 4)}


# --- names and the catch-all ------------------------------------------------------------------------


def test_names_are_phrases_the_papers_write(three_subjects_file):
    """One phrase, or two joined by "and", written as the papers write them; never a word alone
    from the list a name may not rest on, and each topic's name held by most of its papers."""
    names = [topic["name"] for topic in tomllib.loads(three_subjects_file)["topic"][:-1]]
    for name in names:
        parts = name.split(" and ")
        assert 1 <= len(parts) <= 2 and all(part.strip() == part and part for part in parts), name
    assert "3D Gaussian splatting" in names  # "Splatting" is capitalised only in the name "3D Gaussian Splatting"
    assert any("speech" in name.lower() for name in names)  # "Text-to-speech": most of them say TTS
    assert any(name.lower().startswith("robot") for name in names)
    taxonomy = parse_taxonomy(three_subjects_file, "topics.toml")
    catalogue, _ = read_catalogue(THREE_SUBJECTS, SiteConfig())
    assigned = assign_topics(catalogue, taxonomy).catalogue.papers
    for topic in taxonomy.topics[:-1]:
        assert name_fit(topic.name, [p for p in assigned if p.topics[0] == topic.slug]) == 1.0


def test_abbreviations_the_papers_define_are_found_with_their_long_form():
    abstracts = [
        "We elicit chain-of-thought (CoT) reasoning. CoT helps.",
        "Long Chain-of-Thought (CoT) traces, and Vision-Language Models (VLMs) that write them.",
        "Large language models (LLMs), vision-language models (VLMs) and retrieval-augmented generation (RAG).",
        "Large language models (LLMs) again.",
        "A mixture of experts (MoE; sparse) and a Mixture-of-Experts (MoE) layer.",
        "Text to speech (TTS, for short) and a mistaken expansion (XYZ).",
        "Our method (Ours) is a word in brackets, not an abbreviation (ok).",
    ]
    assert defined_abbreviations(abstracts) == {
        "cot": "chain-of-thought",  # defined twice; case folded
        "moe": "mixture of experts",  # one long form written two ways; equal counts: alphabetical order
        "vlm": "vision-language model",  # a plural abbreviation and its plural long form, singular
    }  # RAG and TTS are defined once only, XYZ abbreviates nothing before it, and "large language
    # model" holds no word a name may rest on


def paper(title: str, abstract: str) -> Paper:
    from paper_catalogue.urls import paper_id
    return Paper(id=paper_id(title), title=title, abstract=abstract, sources=(Source(file="x.txt", line=1),))


def namer_of(rows: list[tuple[str, str]]):
    """The Namer over papers given as (title, abstract) rows."""
    from paper_catalogue.topic_suggest import Namer, TermCounts
    texts = [paper_texts(paper(title, abstract)) for title, abstract in rows]
    titles, abstracts = [title for title, _ in texts], [abstract for _, abstract in texts]
    return Namer(titles, abstracts, TermCounts(titles, abstracts, RULES))


def test_a_topic_named_by_an_abbreviation_is_named_by_its_long_form():
    """Papers that mostly write "CoT" give a topic named "chain-of-thought", as two of them define
    it, and the abbreviation beside it, which names the papers that write only "CoT"."""
    cot = [paper(f"CoT {topic} for {task}", (f"We study chain-of-thought (CoT) {topic}. " if defined else "")
                 + f"Using CoT, {topic} solves {task} better than without CoT.")
           for (topic, task), defined in zip([("prompting", "arithmetic"), ("distillation", "puzzles"),
                                              ("verification", "logic"), ("search", "planning"),
                                              ("decoding", "algebra"), ("pruning", "geometry")], [1, 1, 0, 0, 0, 0])]
    speech = [paper(f"Speech {topic} for {task}", f"Speech synthesis with speech {topic}: waveform {task} and "
                    f"speaker {topic} for expressive speech in {task}.")
              for topic, task in [("codecs", "dialogue"), ("vocoders", "audiobooks"), ("prosody", "podcasts"),
                                  ("tokenizers", "assistants"), ("alignment", "dubbing"), ("diffusion", "singing")]]
    suggestion = suggest_taxonomy(Catalogue(papers=tuple(cot + speech)), count=2)
    names = sorted(topic.name for topic in suggestion.topics)
    assert len(names) == 2 and names[0] == "Chain-of-thought (CoT)", names  # as a heading writes it
    assert "speech" in names[1].lower(), names


def test_a_paper_that_fits_no_topic_goes_to_the_catch_all(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    text = (THREE_SUBJECTS / "000_three_subjects.txt").read_text(encoding="utf-8")
    (seeds / "000_three_subjects.txt").write_text(text, encoding="utf-8")
    (seeds / "001_off_topic.txt").write_text(
        "Sourdough Starters: Flour, Water and Patience in Baking\n\n"
        "We bake bread with sourdough starters fed on rye flour and water, and compare crumb, "
        "crust and rise over twelve weekends of baking.\n", encoding="utf-8")
    catalogue, _ = read_catalogue(seeds, SiteConfig())
    suggestion = suggest_taxonomy(catalogue)
    assert suggestion.unassigned == 1 and len(suggestion.topics) == 3
    assigned = assign_topics(catalogue, parse_taxonomy(taxonomy_toml(suggestion), "topics.toml"))
    placed = {paper.title.split(":")[0]: paper.topics for paper in assigned.catalogue.papers}
    assert placed["Sourdough Starters"] == (CATCH_ALL_SLUG,)
    assert sum(topics == (CATCH_ALL_SLUG,) for topics in placed.values()) == 1


def test_min_score_sends_at_most_the_catch_all_share_of_papers_to_the_catch_all():
    import numpy as np

    scores = np.array([[float(n), 0.0] for n in range(100)])  # best scores 0 .. 99
    rules = fitted_rules(scores, RULES)
    assert rules.min_score == 4.0 and sum(scores.max(axis=1) < rules.min_score) <= CATCH_ALL_SHARE * 100
    assert fitted_rules(scores * 0 + 50, RULES).min_score == 12.0  # never past MAX_MIN_SCORE
    assert fitted_rules(scores * 0, RULES).min_score == RULES.min_score  # never below the rules' own


def test_what_is_left_of_the_catch_all_share_goes_to_the_papers_naming_none_of_their_topics():
    import numpy as np

    from paper_catalogue.topic_suggest import MAX_UNNAMED_MIN_SCORE, primary_topics

    # 100 papers, best scores 20 .. 119 in topic 0 (second topic far behind); the odd ones name it.
    scores = np.array([[20.0 + n, 1.0] for n in range(100)])
    named = np.array([[n % 2 == 1, False] for n in range(100)])
    rules = fitted_rules(scores, RULES, named)
    assert rules.min_score == 12.0  # nobody falls below MAX_MIN_SCORE: the share is all left
    placed = primary_topics(scores, rules, named)
    apart = np.flatnonzero(placed < 0)
    assert 0 < len(apart) <= CATCH_ALL_SHARE * 100
    assert all(n % 2 == 0 for n in apart)  # only papers that name no topic of theirs ...
    assert max(apart) < min(n for n in range(0, 100, 2) if placed[n] == 0)  # ... scoring least
    strong = scores * 0 + 500  # squarely in their topic, named or not: none moves
    assert (primary_topics(strong, fitted_rules(strong, RULES, named), named) == 0).all()
    assert fitted_rules(scores, RULES).unnamed_min_score == 0  # without names, no such rule
    assert rules.unnamed_min_score <= MAX_UNNAMED_MIN_SCORE


def test_a_name_is_specific_only_through_a_distinctive_word_that_is_not_generic():
    from bench.topics_suggest import GENERIC_WORDS, specific

    distinctive = ["gaussian splatting", "reconstruction", "models", "methods"]
    assert specific("Gaussian splatting and 3D reconstruction", distinctive, set(GENERIC_WORDS))
    assert specific("Reconstructing scenes", distinctive, set(GENERIC_WORDS))  # on its first five letters
    assert not specific("Models and methods", distinctive, set(GENERIC_WORDS))  # generic words only
    assert not specific("Speech synthesis", distinctive, set(GENERIC_WORDS))  # none of the topic's terms


def test_the_corpus_splits_by_date_and_api_responses_become_entries_once_each(tmp_path):
    import json

    from bench.corpus_seeds import api_sample_entries, halves_by_date

    item = {"paper": {"id": "2510.00001", "title": "A\n  title", "summary": "An\nabstract.", "upvotes": 3,
                      "publishedAt": "2025-10-07T17:59:41.000Z", "authors": [{"name": "A"}, {"name": "B"}]}}
    later = {"paper": {**item["paper"], "id": "2510.00002", "title": "Later", "publishedAt": "2025-10-08T00:00:00Z"}}
    (tmp_path / "2025-10-07.json").write_text(json.dumps([item]), encoding="utf-8")
    (tmp_path / "2025-10-08.json").write_text(json.dumps([item, later]), encoding="utf-8")  # the first again
    (tmp_path / "damaged.json").write_text("[{'paper': 1", encoding="utf-8")
    entries = api_sample_entries(tmp_path)
    assert [(e.title, e.abstract, str(e.published), e.upvotes, e.authors, e.source.file) for e in entries] == [
        ("A title", "An abstract.", "2025-10-07", 3, 2, "2025-10-07.json"),
        ("Later", "An abstract.", "2025-10-08", 3, 2, "2025-10-08.json")]
    tune, held_out = halves_by_date(list(reversed(entries)) + [entries[0].model_copy(update={"published": None})])
    assert [e.title for e in tune] == ["A title"] and [e.title for e in held_out] == ["Later", "A title"]
    assert held_out[-1].published is None  # undated last


NAMING_CASES = ROOT / "tests" / "fixtures" / "naming_cases.jsonl"
"""290 real 2024 listings: four groups that suggested topics once misnamed ("Bit and co-design",
"Diffusion autoregressive model and discrete", "Thought", and a multilingual group), as
`subject`, and 150 other papers."""


@pytest.fixture(scope="module")
def naming_cases():
    """The Namer over the naming cases, and each subject's papers (row numbers)."""
    import json

    import numpy as np

    rows = [json.loads(line) for line in NAMING_CASES.read_text(encoding="utf-8").splitlines()]
    namer = namer_of([(row["title"], row["abstract"]) for row in rows])
    subjects = {row["subject"] for row in rows} - {""}
    return namer, {subject: np.array([i for i, row in enumerate(rows) if row["subject"] == subject])
                   for subject in subjects}


def case_name(naming_cases, subject: str) -> list[str]:
    namer, members = naming_cases
    return namer.hyphenated(namer.name(members[subject])[0])


def test_a_unit_written_after_a_number_never_names_a_topic(naming_cases):
    """Most quantization papers write "4-bit", "1.58-bit" or "low-bit": "bit" is a unit, and the
    topic is named by its subject."""
    namer, _ = naming_cases
    assert namer._unit("bit") and not namer._unit("quantization")
    assert case_name(naming_cases, "quantization")[0] == "quantization"


def test_a_name_counts_a_kind_of_thing_in_the_plural_as_the_papers_do(naming_cases):
    """Headings name kinds of thing in the plural ("Agents", "Diffusion models") and subjects as
    they are ("Video generation"); the papers decide which, by how they end the phrase. Untouched:
    an abbreviation, a lone word sharing the next part's noun, a word the name fit reads apart
    from its plural ("language")."""
    namer, _ = naming_cases
    assert namer.in_number(["agent"]) == ["agents"]
    assert namer.in_number(["diffusion model"]) == ["diffusion models"]
    assert namer.in_number(["policy"]) == ["policies"]
    assert namer.in_number(["video generation"]) == ["video generation"]
    assert namer.in_number(["quantization"]) == ["quantization"]
    assert namer.in_number(["LLM"]) == ["LLM"]
    assert namer.in_number(["agent", "diffusion model"]) == ["agent", "diffusion models"]
    assert namer.in_number(["multilingual", "non-English language"]) == ["multilingual", "non-English language"]


def test_a_phrase_names_a_topic_only_as_the_papers_write_it(naming_cases):
    """ "image visual generation" is no phrase the papers write ("image and visual generation");
    "low-resource language" is no "resource language"; "non-English language" keeps its "non"."""
    namer, _ = naming_cases
    assert case_name(naming_cases, "autoregressive") == ["autoregressive", "visual generation"]
    assert not namer._written("image visual generation") and namer._written("visual generation")
    assert not namer._written("resource language") and namer._written("english language")
    assert case_name(naming_cases, "languages") == ["multilingual", "non-English language"]


def test_a_lone_second_part_is_a_noun_not_an_adjective_or_a_verb(naming_cases):
    """A single word joins a name only as the papers mostly use a noun, ending a phrase: "discrete
    tokens" and "evaluating the" make "discrete" and "evaluating" no second part, as they were
    ("Diffusion autoregressive model and discrete", "GPT and evaluating")."""
    namer, _ = naming_cases
    assert not namer._head(namer.column_of["discrete"]) and not namer._head(namer.column_of["evaluating"])
    assert namer._head(namer.column_of["translation"]) and namer._head(namer.column_of["quantization"])


def test_a_word_written_within_a_long_form_is_named_by_it_with_its_abbreviation(naming_cases):
    """Papers write "thought" mostly in "chain-of-thought": the name is the long form, with the
    abbreviation the papers define, rather than "Thought"."""
    assert case_name(naming_cases, "thought")[0] == "chain-of-thought (CoT)"


def test_a_word_capitalised_only_in_a_name_written_in_title_case_is_shown_in_lower_case():
    """ "Graphical User Interface (GUI)" is a name in title case: "graphical" as the abstracts
    write it elsewhere. "Gaussian" is capitalised wherever it is written, and keeps its capital."""
    from paper_catalogue.topic_suggest import surface_forms
    abstracts = ["Agents act through a Graphical User Interface (GUI).",
                 "A graphical user interface agent clicks buttons.",
                 "We fit 3D Gaussian Splatting to scenes; Gaussian primitives are splatted.",
                 "Gaussian splatting renders fast."]
    forms = surface_forms(["Agents for GUIs", "3D Gaussian Splatting"], abstracts)
    assert (forms["graphical"], forms["user"], forms["gaussian"], forms["splatting"]) == (
        "graphical", "user", "Gaussian", "splatting")


@pytest.fixture(scope="module")
def sample_groups():
    """The Namer over the sample seeds, and each suggested topic's primary papers (row numbers) as
    the build assigns them, by the topic's written name."""
    import numpy as np

    from paper_catalogue.topic_suggest import Namer, TermCounts
    catalogue, _ = read_catalogue(REAL_SEEDS, SiteConfig())
    suggestion = suggest_taxonomy(catalogue)
    assigned = assign_topics(catalogue, parse_taxonomy(taxonomy_toml(suggestion), "topics.toml")).catalogue
    texts = [paper_texts(paper) for paper in assigned.papers]
    titles, abstracts = [title for title, _ in texts], [abstract for _, abstract in texts]
    namer = Namer(titles, abstracts, TermCounts(titles, abstracts, RULES))
    return namer, {topic.name: np.array([i for i, paper in enumerate(assigned.papers) if paper.topics[0] == topic.slug])
                   for topic in suggestion.topics}


def test_a_lone_word_its_papers_write_beside_the_second_phrase_is_part_of_that_subject(sample_groups):
    """The sample's speculative-decoding papers nearly all write "draft" (the draft model) and
    "speculative decoding": the plainer name pairs them, the written one names the subject."""
    namer, groups = sample_groups
    assert "Speculative decoding" in groups
    members = groups["Speculative decoding"]
    assert namer.name(members)[0] == ["draft", "speculative decoding"]
    assert namer.name(members, careful=True)[0] == ["speculative decoding"]


def test_a_careful_name_too_few_papers_hold_gives_way_to_the_word_their_titles_share(sample_groups):
    """The sample's papers on evaluating language models: of their terms, without the generic
    "capabilities" no name holds most of them. Their titles say what they are
    about ("Evaluating ...", "... Evaluation ..."), and the abstracts' commonest form of that word
    names them, though the terms leave it out as the prose of every abstract."""
    from paper_catalogue.topic_suggest import EXTRA_STOP_WORDS, NAME_FIT_KEEP, _generic
    namer, groups = sample_groups
    assert _generic("capabilities") and _generic("capability") and not _generic("translation")
    members = groups["Evaluation"]
    parts, fit, _ = namer._name(members, careful=True)
    assert fit < NAME_FIT_KEEP
    assert "capabilities" in namer.name(members)[0]
    parts, fit, held = namer.name(members, careful=True)
    assert parts == ["evaluation"] and "evaluation" in EXTRA_STOP_WORDS
    assert fit >= 0.9 and fit == held.mean()


def test_a_title_word_names_a_topic_only_where_its_titles_are_mostly_the_topics():
    """A word many of a group's titles hold names it only if the catalogue's other titles seldom
    do. "Jailbreak" is in 4 of a group's 5 titles and in no other; "Evaluating", in 4 titles of
    another group and in 6 titles elsewhere, says nothing of it. A word only titles hold is
    written as the titles write it."""
    import numpy as np

    group = [("Evaluating Jailbreak Attacks on Chat Assistants", "We study jailbreak prompts."),
             ("Jailbreak Defences", "Jailbreak prompts and defences are evaluated."),
             ("Refusal under Jailbreak Prompts", "A jailbreak benchmark of refusals."),
             ("Red Teaming with Jailbreaks", "Red teaming finds weak prompts."),
             ("Prompt Injection in Agents", "Agents follow injected prompts.")]
    evaluating = [(f"Evaluating {subject}", f"We study {subject.lower()}.")
                  for subject in ("Protein Folding", "Graph Networks", "Code Models", "Speech Recognition")]
    others = [(f"Evaluating Translation {i}", "Sentences are translated.") for i in range(6)]
    namer = namer_of(group + evaluating + others)
    parts, fit, held = namer._titled(np.arange(len(group)))
    assert parts == ["jailbreak"] and fit == 0.8 and held.tolist() == [True, True, True, True, False]
    assert namer._titled(np.arange(len(group), len(group) + 4))[0] == []
    only_titled = namer_of([("Foldingwise Proteins", "x"), ("Foldingwise Graphs", "y"), ("Foldingwise Codes", "z"),
                            ("Speech", "w"), ("Music", "v"), ("Video", "u")])
    assert only_titled._titled(np.arange(3))[0] == ["Foldingwise"]


def test_a_second_phrase_joins_a_careful_name_only_as_the_papers_end_it():
    """Vision-language papers of late 2024 write "image-text" before "pairs" and "data": the plainer
    name took it as a second part ("Vision-language model and image-text"); as "image-text pair",
    a phrase the papers end, it may join."""
    import json

    rows = [json.loads(line) for line in (ROOT / "tests" / "fixtures" / "naming_vision_language.jsonl")
            .read_text(encoding="utf-8").splitlines()]
    namer = namer_of([(row["title"], row["abstract"]) for row in rows])
    column = namer.column_of["image text"]
    assert not namer._head(column) and not namer._head(column, "image-text")
    assert namer._head(column, "image-text pair")


def test_a_careful_name_takes_a_second_phrase_only_if_most_of_its_papers_are_in_the_topic():
    """ "feature steering" names 8 of a topic's papers that "sparse autoencoder" does not, but 20
    of the 37 papers holding it are elsewhere: the plainer name takes it, the written one does not."""
    import numpy as np

    from paper_catalogue.topic_suggest import JOIN_PRECISION, WRITTEN_JOIN_PRECISION
    rows = ([(f"Sparse autoencoder {i}", "We train a sparse autoencoder.") for i in range(21)]
            + [(f"Sparse autoencoder {i}", "We train a sparse autoencoder for feature steering.") for i in range(9)]
            + [(f"Feature steering {i}", "We use feature steering.") for i in range(8)]
            + [(f"Paper {i}", "We see.") for i in range(2)]
            + [(f"Image generation {i}", "We use feature steering for image generation.") for i in range(20)]
            + [(f"Graph networks {i}", "We train graph networks on molecules.") for i in range(40)])
    namer = namer_of(rows)
    topic = np.arange(40)
    held = namer.present[:, namer.column_of["feature steering"]].toarray().ravel() > 0
    assert JOIN_PRECISION <= held[topic].sum() / held.sum() < WRITTEN_JOIN_PRECISION  # 17 of 37
    assert namer.name(topic)[0] == ["sparse autoencoder", "feature steering"]
    assert namer.name(topic, careful=True)[0] == ["sparse autoencoder"]


def test_a_careful_name_writes_a_lone_first_word_as_the_phrase_many_of_its_papers_write():
    """Nearly half the topic's papers write "question" in "question answering", and the phrase names
    as many of them as the word: the plainer name rests on the word, the written one on the phrase."""
    import numpy as np

    from paper_catalogue.topic_suggest import LONE_WORD_IN_PHRASE
    rows = ([(f"Question study {i}", "We study the question of robustness.") for i in range(20)]
            + [(f"Question study {i}", "We improve question answering.") for i in range(18)]
            + [(f"Graph networks {i}", "We train graph networks on molecules.") for i in range(40)])
    namer = namer_of(rows)
    topic = np.arange(38)
    assert 18 >= LONE_WORD_IN_PHRASE * 38
    assert namer.name(topic)[0] == ["question"]
    assert namer.name(topic, careful=True)[0] == ["question answering"]


def test_a_careful_name_takes_a_common_noun_rather_than_a_phrase_few_of_its_papers_write():
    """Three of a topic's 18 document papers write "PDF document", which names no more of them than
    "document" does: the plainer name takes the phrase, the written one the noun."""
    import numpy as np

    rows = ([(f"Retrieval study {i}", "We improve retrieval-augmented generation (RAG) with rerankers.") for i in range(25)]
            + [(f"Retrieval study {i}", "We improve retrieval-augmented generation (RAG) over documents.") for i in range(5)]
            + [(f"Parsing study {i}", "We parse each document into chunks.") for i in range(10)]
            + [(f"Retrieval study {i}", "We improve retrieval-augmented generation (RAG) over each PDF document.")
               for i in range(3)]
            + [(f"Graph networks {i}", "We train graph networks on molecules.") for i in range(40)])
    namer = namer_of(rows)
    topic = np.arange(43)
    assert namer.name(topic)[0] == ["retrieval augmented generation", "PDF document"]
    assert namer.name(topic, careful=True)[0] == ["retrieval augmented generation", "document"]


def test_a_careful_name_takes_no_phrase_that_only_adds_a_generic_word_to_another():
    """ "RAG system" names the topic's "dialogue systems" papers too, through "system", which says
    nothing of their subject: the plainer name takes it, the written one the phrase without it."""
    import numpy as np

    from paper_catalogue.topic_suggest import _generic
    rows = ([(f"Answering study {i}", "We improve question answering on hard benchmarks.") for i in range(30)]
            + [(f"Retrieval study {i}", "We study retrieval-augmented generation (RAG) for long documents.")
               for i in range(8)]
            + [(f"System study {i}", "Our RAG system improves question answering.") for i in range(6)]
            + [(f"Dialogue study {i}", "We build dialogue systems.") for i in range(5)]
            + [(f"Graph networks {i}", "We train graph networks on molecules.") for i in range(40)])
    namer = namer_of(rows)
    topic = np.arange(49)
    assert _generic("system")
    assert namer.name(topic)[0] == ["question answering", "retrieval-augmented generation system"]
    assert namer.name(topic, careful=True)[0] == ["question answering", "retrieval-augmented generation (RAG)"]
