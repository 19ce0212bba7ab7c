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
from paper_catalogue.models import SiteConfig
from paper_catalogue.pipeline import BuildOptions, build, read_catalogue
from paper_catalogue.related import STOP_WORDS
from paper_catalogue.topic_suggest import (
    EXTRA_STOP_WORDS,
    WORD_PARTS,
    default_count,
    suggest_taxonomy,
    taxonomy_toml,
)
from paper_catalogue.topics import assign_topics, parse_taxonomy

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
        assert topic["name"][0].isupper() and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", topic["slug"])
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
    said += [word for topic in data["topic"][:-1] for word in re.findall(r"[a-z0-9]+", topic["name"].lower())
             if word != "and"]
    assert said
    for word in said:
        assert word not in STOP_WORDS | EXTRA_STOP_WORDS, word  # https, github, com, propose, results...
        assert not re.fullmatch(r"\d+|\d+[bkmx]", word), word
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
    assert len(suggestion.topics) == default_count(len(catalogue.papers)) == 8
    assigned = assign_topics(catalogue, parse_taxonomy(taxonomy_toml(suggestion), "topics.toml"))
    assert assigned.warnings == []
    assert all(paper.topics for paper in assigned.catalogue.papers)
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
