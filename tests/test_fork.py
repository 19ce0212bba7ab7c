"""A fork stays green whatever optional file its owner removes or replaces: with other papers, and
with its own settings, taxonomy, pins and pages, or with none of them, the site builds with --strict
and every link resolves; and on a copy of the project whose seeds, site.toml and topics.toml are
replaced and whose topic_overrides.toml and pages are deleted, the command line builds it and the
tests that read the site's own content pass."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from site_build import html_pages, read_page

from conftest import FIXTURES, REAL_SITE_SRC, ROOT
from paper_catalogue.models import SiteConfig
from paper_catalogue.pipeline import BuildOptions, BuildResult, build

FORK_SEEDS = FIXTURES / "fork" / "seeds"
"""300 papers of Hugging Face Daily Papers 2024 (none of them in the sample), in the spaced layout."""
FORK_PAPERS = 300
FORK_SITE_SRC = FIXTURES / "fork" / "site_src"
"""A fork's own settings, taxonomy (suggested from its seeds, then renamed), pins of its own papers,
and a page that is not an About page."""
OWN_SETTINGS = [FORK_SITE_SRC / "site.toml", FORK_SITE_SRC / "topics.toml"]
CONTENTS = {
    "all its own": sorted(FORK_SITE_SRC.iterdir()),
    "its own settings and taxonomy only": OWN_SETTINGS,
    "the sample's without pins and pages": [REAL_SITE_SRC / "site.toml", REAL_SITE_SRC / "topics.toml"],
    "no site_src at all": None,
}
"""What a fork's site_src holds: files and folders copied into it by name, or no folder at all."""
LEFT_OUT = (".git", ".venv", ".tools", "_site", "._site.*", ".catalogue-cache", "out", "__pycache__",
            ".pytest_cache", ".hypothesis", "*.egg-info")
"""What a fresh clone lacks: the local environment, tools, caches and build output (the copy links
to the tools that .ci/run installed here, as .ci/run would install them there)."""
TESTS = ["tests/test_catalogue.py", "tests/test_topics.py", "tests/test_fuzz.py", "tests/test_crawl.py",
         "tests/test_site.py", "tests/test_pagination.py", "tests/test_golden.py", "tests/test_csp.py",
         "tests/test_escaping.py", "tests/test_cli.py", "tests/test_workflow.py", "tests/test_docs.py"]
"""The tests that read, or once read, the site's own seeds/ and site_src/, and the docs tests, which
name files of the sample."""
NOT_ON_THE_FORK = {"tests/test_validator.py": "validates two whole sites with the Nu validator: minutes, and "
                                             "test_crawl checks the fork's links"}
OWN_CONTENT = re.compile(r"\bSITE_(?:SEEDS|SRC)\b|\bbuild_own_site\b|ROOT / \"(?:seeds|site_src)\"")
"""How a test reads the site's own content rather than a fixture."""
ROOT_LINK = re.compile(r'(?:href|src)="(/[^"#]*)')


@dataclass(frozen=True)
class Fork:
    site_src: Path
    site: Path
    result: BuildResult


@pytest.fixture(scope="module")
def forks(tmp_path_factory) -> dict[str, Fork]:
    """Each fork of CONTENTS built in-process with --strict (a warning fails it), without Pagefind."""
    built = {}
    for name, contents in CONTENTS.items():
        folder = tmp_path_factory.mktemp("fork")
        site_src = folder / "site_src"
        if contents is not None:
            site_src.mkdir()
            for source in contents:
                copy = shutil.copytree if source.is_dir() else shutil.copyfile
                copy(source, site_src / source.name)
        result = build(BuildOptions(seeds=FORK_SEEDS, out=folder / "_site", site_src=site_src,
                                    templates=ROOT / "templates", static=ROOT / "static", strict=True,
                                    search_index=False))
        built[name] = Fork(site_src, folder / "_site", result)
    return built


def unresolved_links(site: Path) -> list[str]:
    """Every root-relative href or src of the site's pages that names no file of the site."""
    problems = []
    for path in html_pages(site):
        for target in sorted(set(ROOT_LINK.findall(path.read_text(encoding="utf-8")))):
            file = site / target.lstrip("/")
            if not (file / "index.html" if target.endswith("/") else file).is_file():
                problems.append(f"{path.relative_to(site)}: {target}")
    return problems


@pytest.mark.parametrize("name", CONTENTS)
def test_a_fork_builds_with_strict_whatever_optional_file_it_lacks(forks, name):
    fork = forks[name]
    assert len(fork.result.catalogue.papers) == FORK_PAPERS
    assert unresolved_links(fork.site) == []
    home = read_page(fork.site, "")
    links = {a.attrs.get("href") for a in home.find_all("a")}
    pages = sorted(path.stem for path in (fork.site_src / "pages").glob("*.md"))
    for page in pages:
        assert (fork.site / page / "index.html").is_file() and f"/{page}/" in links
    assert not (fork.site / "about").exists() and "/about/" not in links  # no about.md in any fork
    has_taxonomy = (fork.site_src / "topics.toml").is_file()
    assert (fork.site / "topics" / "index.html").is_file() == has_taxonomy == ("/topics/" in links)
    settings = fork.site_src / "site.toml"
    expected_title = tomllib.loads(settings.read_text(encoding="utf-8"))["title"] if settings.is_file() \
        else SiteConfig().title
    assert fork.result.config.title == expected_title
    assert home.find("title").text().startswith(expected_title)


def test_the_forks_own_page_is_rendered_and_in_the_navigation(forks):
    site = forks["all its own"].site
    page = read_page(site, "reading-group/")
    assert page.find("h1").text() == "Reading group"
    assert page.find("a", href="https://lab.example.org/reading-group/").text() == "our schedule"
    assert [a.text() for a in read_page(site, "").find_all("a", href="/reading-group/")] == ["Reading group"]


def test_a_forks_own_pins_place_its_own_papers(forks):
    topics = {paper.id: paper.topics for paper in forks["all its own"].result.catalogue.papers}
    assert topics["2bp-2-stage-backpropagation"] == ("efficient-models", "language-models")
    assert topics["collective-critics-for-creative-story-generation"] == ("language-models",)
    # Without the pins the taxonomy's terms place them elsewhere: the pins did the work.
    unpinned = {paper.id: paper.topics
                for paper in forks["its own settings and taxonomy only"].result.catalogue.papers}
    assert unpinned["2bp-2-stage-backpropagation"] != topics["2bp-2-stage-backpropagation"]
    assert unpinned["collective-critics-for-creative-story-generation"] != \
        topics["collective-critics-for-creative-story-generation"]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the project as a clone has it, whose owner replaced seeds/, site.toml and topics.toml
    and deleted topic_overrides.toml and pages/ (whatever site_src holds here)."""
    root = tmp_path_factory.mktemp("project") / "catalogue"
    left_out = shutil.ignore_patterns(*LEFT_OUT)

    def ignore(folder: str, names: list[str]) -> set[str]:
        owners = {"seeds", "site_src"} & set(names) if Path(folder) == ROOT else set()
        return left_out(folder, names) | owners

    shutil.copytree(ROOT, root, ignore=ignore)
    if (ROOT / ".tools").is_dir():
        (root / ".tools").symlink_to(ROOT / ".tools")
    shutil.copytree(FORK_SEEDS, root / "seeds")
    (root / "site_src").mkdir()
    for source in OWN_SETTINGS:
        shutil.copyfile(source, root / "site_src" / source.name)
    return root


def test_the_fork_builds_from_its_command_line_with_strict(project):
    assert sorted(path.name for path in (project / "site_src").iterdir()) == ["site.toml", "topics.toml"]
    result = subprocess.run([sys.executable, "build.py", "--strict", "--no-cache"], cwd=project,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # not a warning left
    assert f"built {FORK_PAPERS} papers" in result.stdout
    assert "  Language models " in result.stdout  # the fork's taxonomy, in the topic report
    assert ", 0 pinned by overrides" in result.stdout
    assert "overrides for papers not in the catalogue" not in result.stdout
    site = project / "_site"
    assert (site / "pagefind" / "pagefind.js").is_file()
    assert not (site / "about").exists()


def test_the_tests_that_read_the_site_content_pass_on_the_fork(project):
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "-m", "not browser and not slow", *TESTS],
                            cwd=project, capture_output=True, text=True, timeout=1800)
    failed = [line for line in result.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    assert result.returncode == 0, "\n".join([*failed, result.stdout[-3000:], result.stderr[-2000:]])
    assert " passed" in result.stdout and " failed" not in result.stdout


def test_every_test_that_reads_the_site_content_runs_on_the_fork():
    readers = {path.relative_to(ROOT).as_posix() for path in sorted((ROOT / "tests").glob("test_*.py"))
               if OWN_CONTENT.search(path.read_text(encoding="utf-8"))}
    assert {"tests/test_crawl.py", "tests/test_fuzz.py"} <= readers  # the pattern finds them
    assert sorted(readers - set(TESTS) - set(NOT_ON_THE_FORK)) == []
