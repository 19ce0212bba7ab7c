"""The README and docs/ tell the truth: every `build.py` command and option they show is in its
`--help`, every script and repository path they name exists, and every relative link resolves.

What they name in `seeds/` and `site_src/` is the sample catalogue the project ships with, which a
fork replaces or deletes: those paths are looked up in its copy under tests/fixtures/sample."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pytest

from conftest import REAL_SEEDS, REAL_SITE_SRC

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CONTENT = {"seeds": REAL_SEEDS, "site_src": REAL_SITE_SRC}
"""The site's own content as the docs describe it: the sample, kept in tests/fixtures."""
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
SCRIPT = re.compile(r"\bpython3?\s+((?:[\w.-]+/)*[\w.-]+\.py)\b")
REPO_PATH = re.compile(r"(?:paper_catalogue|templates|static|tests|bench|docs|site_src|seeds|\.github|\.ci)/[\w./-]*")
MODULE = re.compile(r"[a-z_]+\.py")
HELP_OPTION = re.compile(r"^\s{2}(?:-\w(?: [A-Z_]+)?, )?(--[a-z][\w-]*)(?:, -\w)?(?:[ =]([A-Z_]+|\{[^}]*\}))?", re.MULTILINE)
SUBCOMMAND_CHOICES = re.compile(r"^\s{2}\{([\w,-]+)\}", re.MULTILINE)
SUBCOMMAND_LINE = re.compile(r"^\s{4}([a-z][\w-]*)(?:\s|$)", re.MULTILINE)


@dataclass(frozen=True)
class CommandHelp:
    """What `build.py [subcommand ...] --help` lists: options (and whether each takes a value) and subcommands."""

    options: dict[str, bool]
    subcommands: frozenset[str]


@lru_cache(maxsize=None)
def command_help(*words: str) -> CommandHelp:
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), *words, "--help"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"build.py {' '.join(words)} --help failed:\n{result.stderr}"
    text = result.stdout
    options = {"-h": False, "--help": False}
    for match in HELP_OPTION.finditer(text):
        options[match.group(1)] = match.group(2) is not None
    options.update({short: False for short in re.findall(r"^\s{2}(-\w), --", text, re.MULTILINE)})
    options.update({short: False for short in re.findall(r", (-\w)\b", text)})
    positional = text.split("positional arguments:", 1)[1].split("options:", 1)[0] if "positional arguments:" in text else ""
    subcommands = {name for group in SUBCOMMAND_CHOICES.findall(positional) for name in group.split(",")}
    subcommands |= set(SUBCOMMAND_LINE.findall(positional))
    return CommandHelp(options, frozenset(subcommands))


def without_code(text: str) -> str:
    """Prose only: links and names inside code are examples, not references."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def code_snippets(text: str) -> list[str]:
    """Fenced blocks, line by line (an indented line continues the one before), and inline code spans."""
    snippets: list[str] = []
    for block in FENCE.findall(text):
        for line in block.splitlines():
            if snippets and line[:1].isspace() and line.strip()[:1] in "[-":
                snippets[-1] += " " + line.strip()
            else:
                snippets.append(line)
    snippets += [span for _, span in CODE_SPAN.findall(FENCE.sub("", text))]
    return snippets


def build_commands(snippet: str) -> list[list[str]]:
    """The words after `python build.py` in each shell command of a snippet."""
    commands = []
    for command in re.split(r"&&|;", snippet.split(" #", 1)[0]):
        words = command.replace("[", " ").replace("]", " ").split()
        starts = [index for index, word in enumerate(words)
                  if word.endswith("build.py") and index and re.search(r"python3?$", words[index - 1])]
        if starts:
            commands.append(words[starts[0] + 1:])
    return commands


def problems_in_command(words: list[str]) -> list[str]:
    """Every option or subcommand of one `build.py ...` command that its --help does not list."""
    problems: list[str] = []
    level: list[str] = []
    expects_value = False
    for word in words:
        if word == "|" or word == "...":
            expects_value = False
            continue
        if expects_value:
            expects_value = False
            continue
        known = command_help(*level)
        if word.startswith("-"):
            name = word.split("=", 1)[0]
            if name not in known.options:
                problems.append(f"{name} (not in `build.py {' '.join(level)} --help`)".replace("  ", " "))
            expects_value = known.options.get(name, False) and "=" not in word
        elif word in known.subcommands:
            level.append(word)
        elif "|" in word:  # alternatives, `suggest|report`: each must be a subcommand here
            unknown = [name for name in word.split("|") if name not in known.subcommands]
            problems += [f"{name!r} (not a subcommand of `build.py {' '.join(level)}`)" for name in unknown]
            if not unknown:
                level.append(word.split("|")[0])
        elif not (word.isupper() or word.startswith("<")):
            problems.append(f"{word!r} (not a subcommand of `build.py {' '.join(level)}`)".replace("  ", " "))
    return problems


def all_options() -> set[str]:
    """Every option of build.py and of each subcommand, nested ones included."""
    options: set[str] = set()
    pending: list[tuple[str, ...]] = [()]
    while pending:
        words = pending.pop()
        known = command_help(*words)
        options |= set(known.options)
        pending += [(*words, name) for name in sorted(known.subcommands)]
    return options


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"`|\*\*|\[([^\]]*)\]\([^)]*\)", lambda m: m.group(1) or "", heading).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(document: Path) -> set[str]:
    found: set[str] = set()
    for heading in HEADING.findall(FENCE.sub("", document.read_text(encoding="utf-8"))):
        anchor = base = github_anchor(heading)
        number = 0
        while anchor in found:
            number += 1
            anchor = f"{base}-{number}"
        found.add(anchor)
    return found


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("document", DOCUMENTS, ids=relative)
def test_every_build_command_and_option_is_in_help(document):
    text = document.read_text(encoding="utf-8")
    problems = []
    commands = 0
    for snippet in code_snippets(text):
        for words in build_commands(snippet):
            commands += 1
            problems += [f"`{snippet.strip()}`: {problem}" for problem in problems_in_command(words)]
        if snippet.startswith("--"):  # an option named on its own, as in a table of options
            option = snippet.split()[0].split("=", 1)[0]
            if option not in all_options():
                problems.append(f"`{snippet}`: {option} is not an option of build.py or its subcommands")
    assert not problems, "\n".join(problems)
    if document.name in ("README.md", "building.md"):
        assert commands >= 5, "the everyday commands are shown"


def checked_path(path: Path) -> Path:
    """Where a path of the repository is looked up: in seeds/ or site_src/, its sample copy."""
    if not path.is_relative_to(ROOT):
        return path
    top, *rest = path.relative_to(ROOT).parts or ("",)
    return SAMPLE_CONTENT[top].joinpath(*rest) if top in SAMPLE_CONTENT else path


def missing_files(text: str) -> list[str]:
    """Scripts (`python x.py`), repository paths and module names the text names that do not exist."""
    missing = [script for script in SCRIPT.findall(text) if not (ROOT / script).is_file()]
    for snippet in code_snippets(text):
        snippet = snippet.strip()
        if REPO_PATH.fullmatch(snippet) and not checked_path(ROOT / snippet).exists():
            missing.append(snippet)
        if MODULE.fullmatch(snippet) and not any((folder / snippet).is_file() for folder in
                                                 (ROOT, ROOT / "paper_catalogue", ROOT / "tests", ROOT / "bench")):
            missing.append(snippet)
    return missing


def broken_links(document: Path) -> list[str]:
    """Relative links of a Markdown file whose file, or heading anchor, does not exist."""
    broken = []
    for target in LINK.findall(without_code(document.read_text(encoding="utf-8"))):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...: not a file of ours
            continue
        path_part, _, anchor = target.partition("#")
        path = checked_path((document.parent / path_part).resolve()) if path_part else document
        if not path.exists():
            broken.append(f"{target}: no such file")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(f"{target}: no heading #{anchor} in {path.name}")
    return broken


@pytest.mark.parametrize("document", DOCUMENTS, ids=relative)
def test_every_named_script_and_path_exists(document):
    missing = missing_files(document.read_text(encoding="utf-8"))
    assert not missing, f"{relative(document)} names files that do not exist: {missing}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=relative)
def test_every_relative_link_resolves(document):
    broken = broken_links(document)
    assert not broken, f"{relative(document)}: " + "; ".join(broken)


def test_the_guide_links_every_page_of_docs():
    linked = {(ROOT / "docs" / target.partition("#")[0]).resolve()
              for target in LINK.findall(without_code((ROOT / "docs" / "index.md").read_text(encoding="utf-8")))}
    unlinked = [relative(page) for page in DOCUMENTS[1:] if page.name != "index.md" and page.resolve() not in linked]
    assert not unlinked, f"docs/index.md does not link {unlinked}"


def test_readme_stays_short():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").count("\n")
    assert lines <= 150, f"README.md has {lines} lines; the guide belongs in docs/"


# The checker itself: each rule must be able to fail.

def test_the_checker_catches_an_unknown_option_and_subcommand():
    assert problems_in_command(["--strict", "--base-url", "https://example.org/"]) == []
    assert problems_in_command(["serve", "--port", "0", "--seeds", "DIR"]) == []
    assert problems_in_command(["--no-such-option"])
    assert problems_in_command(["publish"])
    assert problems_in_command(["--port", "8000"]), "--port belongs to serve, not to the build"
    assert problems_in_command(["serve|publish"])


def test_the_checker_reads_commands_out_of_markdown():
    text = "Run `python build.py --strict`.\n\n```sh\npython build.py [--seeds DIR]\n    [--cache DIR | --no-cache]\n```\n"
    commands = [words for snippet in code_snippets(text) for words in build_commands(snippet)]
    assert ["--strict"] in commands
    assert ["--seeds", "DIR", "--cache", "DIR", "|", "--no-cache"] in commands


def test_github_anchors():
    assert github_anchor("Pinning a paper's topics: `site_src/topic_overrides.toml`") == \
        "pinning-a-papers-topics-site_srctopic_overridestoml"
    assert github_anchor("The `papers.json` contract") == "the-papersjson-contract"


def test_the_checker_catches_missing_files_and_broken_links(tmp_path):
    assert missing_files("`paper_catalogue/urls.py`, `urls.py` and `python build.py`") == []
    assert missing_files("`paper_catalogue/nothing.py`, `nothing.py`, `python bench/nothing.py`") == \
        ["bench/nothing.py", "paper_catalogue/nothing.py", "nothing.py"]
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# A heading\n", encoding="utf-8")
    page.write_text("# Top\n[ok](other.md#a-heading) [self](#top) [web](https://example.org/x)\n"
                    "`[in code](gone.md)`\n[gone](gone.md) [no anchor](other.md#nowhere)\n", encoding="utf-8")
    assert broken_links(page) == ["gone.md: no such file", "other.md#nowhere: no heading #nowhere in other.md"]


def test_the_checker_reads_the_sites_content_in_its_sample_copy():
    assert checked_path(ROOT / "site_src" / "topic_overrides.toml") == REAL_SITE_SRC / "topic_overrides.toml"
    assert checked_path(ROOT / "seeds") == REAL_SEEDS
    assert checked_path(ROOT / "docs" / "pages.md") == ROOT / "docs" / "pages.md"
    assert missing_files("`site_src/pages/about.md` and `seeds/000_8b43d9c321d564b1.txt`") == []
    assert missing_files("`site_src/pages/nothing.md`") == ["site_src/pages/nothing.md"]
