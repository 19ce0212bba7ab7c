"""The topic taxonomy (site_src/topics.toml) and its overrides -> each paper's topics, with a report."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationError

from .diagnostics import Diagnostic, InputError, error_at, toml_error
from .models import Catalogue, Paper, Record, Topic
from .site_files import key_lines, read_site_file
from .workers import cores, forked_map

ADVICE_FROM_PAPERS = 100
"""Below this many papers, shares say little (one paper is more than 1%): the report gives no advice."""
ADVICE_LARGEST_SHARE = 0.30
"""A topic holding more of the papers than this is advised to be split."""
ADVICE_CATCH_ALL_SHARE = 0.05
"""A catch-all holding more than this means the topics' terms miss too many papers."""
ADVICE_SMALLEST_SHARE = 0.01
"""A topic holding less than this is advised to be merged or broadened."""
NAME_FIT_WARN_BELOW = 0.6
"""A topic whose name has a word in fewer of its primary papers than this is named for too few of them."""
NAME_FIT_PREFIX = 5
"""A word of a topic's name is found in a paper when a word of the paper begins with its first
this many letters ("reconstruction" is found in "reconstructing"), any case."""
NAME_FIT_LEFT_OUT = frozenset("""
    a an and as at by for from in into of on or the to via with
    model models language learning large llm llms
""".split())
"""Words of a name that say nothing about its subject: joining words, and words nearly every paper of
a catalogue of language-model papers has."""

PARALLEL_FROM = 2000
"""From this many papers on, topics are worked out in one process per core: below, forking costs
more than it shares."""

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def match_text(text: str) -> str:
    """Text as terms are matched against it: lower-case ASCII words separated by single spaces.

    Punctuation and hyphens are spaces, so `Mixture-of-Experts` matches the term
    `mixture of experts` and `KV-cache` matches `kv cache`.
    """
    return _NOT_ALNUM.sub(" ", match_ascii(text)).strip()


def match_ascii(text: str) -> str:
    """The first step of `match_text`: lower-case ASCII, accents dropped, punctuation still there."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()


# --- the taxonomy file --------------------------------------------------------------------------


def _matchable(term: str) -> str:
    """A term some text could match: letters or digits, and a `*` only at its end."""
    if not match_text(term.replace("*", "")):
        raise ValueError(f"term {term!r} has no letters or digits to match; remove it")
    if "*" in term.removesuffix("*"):
        raise ValueError(f"term {term!r} can never match: `*` works only at the end of a term")
    return term


class AssignmentRules(Record):
    """How term matches become topics; the [assignment] table of topics.toml."""

    title_weight: float = Field(default=3.0, gt=0)
    """A term in the title counts this many times one occurrence in the abstract."""
    abstract_cap: int = Field(default=3, ge=1)
    """Occurrences of one term in the abstract counted at most this many times."""
    min_score: float = Field(default=3.0, gt=0)
    """A topic needs at least this score to be assigned at all."""
    secondary_ratio: float = Field(default=0.5, gt=0, le=1)
    """A second or third topic needs at least this share of the primary topic's score..."""
    strong_score: float = Field(default=30.0, gt=0)
    """...or at least this score of its own: a paper can be squarely in two topics at once."""
    max_topics: int = Field(default=3, ge=1, le=3)
    """Topics per paper, at most."""
    named_first: bool = False
    """Of a paper's topics, the first whose name its title or abstract holds (name_fit's test) is
    its primary topic, the others following by score: the topic a paper is listed under first then
    says what it is about. Off, the primary topic is the highest-scoring one."""
    unnamed_min_score: float = Field(default=0.0, ge=0)
    """With named_first, a paper holding the name of none of its topics needs at least this score
    (and min_score) to be placed at all, else it goes to the catch-all: terms alone, without the
    name, are weaker evidence. 0 asks no more than min_score."""


class TopicDefinition(Record):
    """One [[topic]] of topics.toml: what the site shows, and the terms that place a paper in it."""

    slug: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    name: str = Field(min_length=1)
    description: str = ""
    catch_all: bool = False
    terms: dict[Annotated[str, AfterValidator(_matchable)], Annotated[float, Field(gt=0)]] = Field(
        default_factory=dict)
    """Term -> weight; a match in the title counts title_weight times one in the abstract."""

    def topic(self) -> Topic:
        return Topic(slug=self.slug, name=self.name, description=self.description.strip(),
                     catch_all=self.catch_all)


class TaxonomyFile(Record):
    """The whole of topics.toml."""

    assignment: AssignmentRules = AssignmentRules()
    topic: list[TopicDefinition] = Field(min_length=1)


@dataclass(frozen=True)
class Taxonomy:
    """A validated taxonomy, with where each topic is defined so errors and the report can point at it."""

    file: str
    rules: AssignmentRules
    topics: tuple[TopicDefinition, ...]
    lines: dict[str, int]
    """Each topic's slug -> the line of its [[topic]] header."""

    @property
    def catch_all(self) -> TopicDefinition:
        return next(topic for topic in self.topics if topic.catch_all)


def _topic_header_lines(lines: list[str]) -> list[int]:
    """1-based line numbers of every [[topic]] header, in order."""
    return [n for n, line in enumerate(lines, 1) if re.fullmatch(r"\s*\[\[\s*topic\s*\]\]\s*(#.*)?", line)]


def _line_of(loc: Sequence, lines: list[str], headers: list[int]) -> int | None:
    """Best guess at the line a validation error is about: the topic's header, or a key under it."""
    if len(loc) < 2 or loc[0] != "topic" or not isinstance(loc[1], int) or loc[1] >= len(headers):
        return None
    start = headers[loc[1]]
    end = headers[loc[1] + 1] if loc[1] + 1 < len(headers) else len(lines) + 1
    keys = [str(part) for part in loc[2:] if not isinstance(part, int)]
    for key in reversed(keys):  # the most specific key first: a term before its `terms` table
        pattern = re.compile(rf'\s*(("{re.escape(key)}"|\'{re.escape(key)}\'|{re.escape(key)})\s*='
                             rf'|\[\s*topic\.{re.escape(key)}\s*\])')
        for number in range(start, end):
            if pattern.match(lines[number - 1]):
                return number
    return start


def parse_taxonomy(text: str, file: str) -> Taxonomy:
    """topics.toml text -> a Taxonomy; every problem is an InputError naming the file and line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise toml_error(file, error, text) from None
    lines = text.splitlines()
    headers = _topic_header_lines(lines)
    try:
        parsed = TaxonomyFile.model_validate(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            what = ".".join(str(part) for part in item["loc"] if part != "[key]") or "taxonomy"
            message = item["msg"].removeprefix("Value error, ")
            problems.append(error_at(file, _line_of(item["loc"], lines, headers),
                                     f"{what}: {message}{_HINTS.get(item['type'], '')}"))
        raise InputError(*problems) from None
    return _checked(parsed, file, headers)


_HINTS = {
    "missing": "; add it under this [[topic]]",
    "extra_forbidden": "; a topic has slug, name, description, catch_all and terms",
    "string_pattern_mismatch": "; use lower-case letters, digits and single hyphens",
}


def _checked(parsed: TaxonomyFile, file: str, headers: list[int]) -> Taxonomy:
    """Rules that span topics: unique slugs, exactly one catch-all, terms on every other topic."""
    line_of = dict(enumerate(headers))
    lines: dict[str, int] = {}
    problems: list[Diagnostic] = []
    for index, topic in enumerate(parsed.topic):
        line = line_of.get(index)
        if topic.slug in lines:
            problems.append(error_at(file, line, f"topic slug {topic.slug!r} is defined twice "
                                                 f"(first at line {lines[topic.slug]}); rename one"))
            continue
        if topic.catch_all and topic.terms:
            problems.append(error_at(file, line, f"the catch-all topic {topic.slug!r} must not list terms"))
        if not topic.catch_all and not topic.terms:
            problems.append(error_at(file, line, f"topic {topic.slug!r} lists no terms, so no paper can get it"))
        lines[topic.slug] = line or 1
    catch_alls = [topic.slug for topic in parsed.topic if topic.catch_all]
    if len(catch_alls) != 1:
        problems.append(error_at(file, None, f"exactly one topic needs `catch_all = true` "
                                             f"(for papers nothing else fits); found {len(catch_alls)}"))
    if problems:
        raise InputError(*problems)
    return Taxonomy(file=file, rules=parsed.assignment, topics=tuple(parsed.topic), lines=lines)


def load_taxonomy(path: Path) -> Taxonomy | None:
    """Read site_src/topics.toml; None when the site has no taxonomy (then no paper gets topics)."""
    if not path.exists():
        return None
    return parse_taxonomy(read_site_file(path), str(path))


# --- overrides -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicPin:
    """One line of topic_overrides.toml: this paper gets exactly these topics."""

    paper_id: str
    slugs: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class TopicOverrides:
    file: str
    pins: tuple[TopicPin, ...] = ()


def parse_topic_overrides(text: str, file: str) -> TopicOverrides:
    """`paper-id = ["slug", ...]` lines -> pins; a value that is not such a list is an InputError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise toml_error(file, error, text) from None
    lines = key_lines(text)
    pins: list[TopicPin] = []
    problems: list[Diagnostic] = []
    for paper_id, value in data.items():
        line = lines.get(paper_id, 1)
        if (not isinstance(value, list) or not value
                or not all(isinstance(slug, str) for slug in value)):
            problems.append(error_at(file, line, f"topics for {paper_id!r} must be a non-empty list of "
                                                 f'topic slugs, like {paper_id} = ["a-topic"]'))
            continue
        pins.append(TopicPin(paper_id, tuple(value), line))
    if problems:
        raise InputError(*problems)
    return TopicOverrides(file=file, pins=tuple(pins))


def check_topic_overrides(overrides: TopicOverrides, taxonomy: Taxonomy) -> None:
    """Every pinned slug is a topic of the taxonomy, and no pin has more topics than a paper may.

    A pin for an id no paper has is no error: a fork starts with the sample pins, and a pin may
    wait for its paper's listing. The topic report lists such pins.
    """
    known = [topic.slug for topic in taxonomy.topics]
    limit = taxonomy.rules.max_topics
    problems = []
    for pin in overrides.pins:
        for slug in pin.slugs:
            if slug not in known:
                problems.append(error_at(overrides.file, pin.line,
                                         f"unknown topic {slug!r} for {pin.paper_id!r}; "
                                         f"the topics are: {', '.join(known)}"))
        if len(dict.fromkeys(pin.slugs)) > limit:
            problems.append(error_at(overrides.file, pin.line,
                                     f"{pin.paper_id!r} is pinned to {len(pin.slugs)} topics; "
                                     f"a paper has at most {limit} (max_topics in topics.toml)"))
    if problems:
        raise InputError(*problems)


def load_topic_overrides(path: Path) -> TopicOverrides:
    """Read site_src/topic_overrides.toml; no pins when the file is absent."""
    if not path.exists():
        return TopicOverrides(file=str(path))
    return parse_topic_overrides(read_site_file(path), str(path))


# --- assignment ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Term:
    slug: str
    words: tuple[str, ...]
    """The term in its `match_text` form, split into words."""
    prefix: bool
    """A trailing `*`: the last word only has to start with words[-1]."""
    weight: float

    def matches_at(self, words: Sequence[str], start: int) -> bool:
        """Whole words; a plural s/es is allowed on the last one, any ending with a prefix term."""
        end = start + len(self.words) - 1
        if end >= len(words):
            return False
        for offset in range(len(self.words) - 1):
            if words[start + offset] != self.words[offset]:
                return False
        last, wanted = words[end], self.words[-1]
        if self.prefix:
            return last.startswith(wanted)
        return last == wanted or last == wanted + "s" or last == wanted + "es"


class TermIndex:
    """Every term of a taxonomy, indexed by the word a match can start with.

    One pass over a text's words then finds every term's matches: a paper costs a dictionary
    look-up per word instead of one regular-expression scan per term (hundreds of them).
    """

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.terms: list[_Term] = [
            _Term(topic.slug, tuple(match_text(term.removesuffix("*")).split()), term.endswith("*"), weight)
            for topic in taxonomy.topics if not topic.catch_all
            for term, weight in sorted(topic.terms.items())
        ]
        self._exact: dict[str, list[int]] = {}
        self._prefixes: dict[str, list[int]] = {}
        for index, term in enumerate(self.terms):
            first = term.words[0]
            if len(term.words) > 1:
                self._exact.setdefault(first, []).append(index)
            elif term.prefix:
                self._prefixes.setdefault(first, []).append(index)
            else:
                for form in (first, first + "s", first + "es"):
                    self._exact.setdefault(form, []).append(index)
        self._lengths = sorted({len(prefix) for prefix in self._prefixes})
        self._candidates: dict[str, tuple[int, ...]] = {}
        self._names = {topic.slug: name_pattern(name_words(topic.name)) for topic in taxonomy.topics
                       if taxonomy.rules.named_first and not topic.catch_all}

    def named(self, title: str, abstract: str) -> frozenset[str]:
        """The topics whose name this paper holds, when the rules put those first (else none)."""
        if not self._names:
            return frozenset()
        text = match_text(f"{title} {abstract}")
        return frozenset(slug for slug, pattern in self._names.items() if pattern and pattern.search(text))

    def candidates(self, word: str) -> tuple[int, ...]:
        """The terms a match starting at this word could be (memoised: vocabularies repeat)."""
        found = self._candidates.get(word)
        if found is None:
            indices = list(self._exact.get(word, ()))
            for length in self._lengths:
                if length > len(word):
                    break
                indices.extend(self._prefixes.get(word[:length], ()))
            found = self._candidates[word] = tuple(sorted(set(indices)))
        return found

    def counts(self, text: str) -> dict[int, int]:
        """Non-overlapping matches of each term in a text, as a regex scan would count them."""
        words = match_text(text).split()
        counts: dict[int, int] = {}
        next_free: dict[int, int] = {}
        memo, terms = self._candidates, self.terms
        for position, word in enumerate(words):
            found = memo.get(word)
            if found is None:
                found = self.candidates(word)
            for index in found:  # most words start no term: this loop is usually empty
                term = terms[index]
                # A one-word candidate is a match by construction of the index.
                if position >= next_free.get(index, 0) and (
                        len(term.words) == 1 or term.matches_at(words, position)):
                    counts[index] = counts.get(index, 0) + 1
                    next_free[index] = position + len(term.words)
        return counts


def topic_scores(title: str, abstract: str, taxonomy: Taxonomy,
                 index: TermIndex | None = None) -> dict[str, float]:
    """Each topic's score for one paper: weighted term matches, title matches counting more."""
    rules = taxonomy.rules
    index = index or TermIndex(taxonomy)
    in_title = index.counts(title)
    in_abstract = index.counts(abstract)
    scores: dict[str, float] = {}
    for term_index in sorted(in_title.keys() | in_abstract.keys()):
        term = index.terms[term_index]
        hits = rules.title_weight * (term_index in in_title) + min(in_abstract.get(term_index, 0),
                                                                   rules.abstract_cap)
        scores[term.slug] = scores.get(term.slug, 0.0) + term.weight * hits
    return {slug: score for slug, score in scores.items() if score}


def choose_topics(scores: dict[str, float], taxonomy: Taxonomy,
                  named: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The primary topic (highest score) and up to two more strong enough; else the catch-all.
    With named_first, the first of them in `named` (the topics whose name the paper holds) leads,
    and a paper naming none of them needs unnamed_min_score too.

    Ties go to the topic defined first in topics.toml, so the result never depends on dict order.
    """
    rules = taxonomy.rules
    order = {topic.slug: index for index, topic in enumerate(taxonomy.topics)}
    ranked = sorted((slug for slug, score in scores.items() if score >= rules.min_score),
                    key=lambda slug: (-scores[slug], order[slug]))
    if not ranked:
        return (taxonomy.catch_all.slug,)
    best = scores[ranked[0]]
    threshold = min(rules.secondary_ratio * best, rules.strong_score)
    chosen = tuple(slug for slug in ranked if scores[slug] >= threshold)[: rules.max_topics]
    if not rules.named_first:
        return chosen
    lead = next((slug for slug in chosen if slug in named), None)
    if lead is None:
        return chosen if best >= rules.unnamed_min_score else (taxonomy.catch_all.slug,)
    return (lead, *(slug for slug in chosen if slug != lead))


@dataclass(frozen=True)
class TopicCount:
    slug: str
    name: str
    papers: int
    """Papers with this topic anywhere in their list."""
    primary: int
    """Papers with this as their first topic."""
    name_fit: float | None = None
    """Share of the primary papers holding a word of the name (name_fit); None when not measured."""


@dataclass(frozen=True)
class TopicReport:
    """What the build prints: papers per topic, how many fell into the catch-all, and advice on
    balance. Advice is not a warning: the input is valid, the taxonomy just fits it unevenly."""

    total: int
    counts: tuple[TopicCount, ...]
    catch_all: str
    pinned: int = 0
    waiting_pins: tuple[str, ...] = ()
    """Overrides for ids no paper has (yet), with where each is: a fork's normal state, no error."""

    def count(self, slug: str) -> int:
        return next(c.papers for c in self.counts if c.slug == slug)

    def advice(self) -> list[str]:
        """One line per topic holding too large or too small a share of the papers (see ADVICE_*)."""
        if self.total < ADVICE_FROM_PAPERS:
            return []
        found = []
        for count in self.counts:
            share = count.papers / self.total
            if count.slug == self.catch_all:
                if share > ADVICE_CATCH_ALL_SHARE:
                    found.append(f'the catch-all "{count.name}" holds {share:.1%} of the papers '
                                 f"(more than {ADVICE_CATCH_ALL_SHARE:.0%}): add terms to the topics "
                                 "its papers belong in, or a topic for them")
            elif share > ADVICE_LARGEST_SHARE:
                found.append(f'"{count.name}" holds {share:.1%} of the papers '
                             f"(more than {ADVICE_LARGEST_SHARE:.0%}): consider splitting it")
            elif share < ADVICE_SMALLEST_SHARE:
                found.append(f'"{count.name}" holds {share:.1%} of the papers '
                             f"(less than {ADVICE_SMALLEST_SHARE:.0%}): consider merging it into "
                             "another topic or broadening its terms")
        return found

    def name_advice(self) -> list[str]:
        """One line per topic whose name fits fewer than NAME_FIT_WARN_BELOW of its primary papers."""
        return [f'"{c.name}": {c.name_fit:.0%} of its {c.primary} primary papers hold a word of its name '
                f"(less than {NAME_FIT_WARN_BELOW:.0%}): rename it after what they share, or give its "
                "terms to the topics they belong in"
                for c in self.counts if c.name_fit is not None and c.name_fit < NAME_FIT_WARN_BELOW]

    def __str__(self) -> str:
        in_catch_all = self.count(self.catch_all) if self.counts else 0
        share = in_catch_all / self.total if self.total else 0.0
        labels = [c.name + (" (catch-all)" if c.slug == self.catch_all else "") for c in self.counts]
        width = max((len(label) for label in labels), default=0)
        digits = len(str(max((c.papers for c in self.counts), default=0)))
        lines = [f"topics: {n_papers(self.total)} in {len(self.counts)} topic{'' if len(self.counts) == 1 else 's'}, "
                 f"{in_catch_all} in the catch-all ({share:.1%}), {self.pinned} pinned by overrides"]
        lines += [f"  {label:<{width}}  {c.papers:>{digits}} {'paper ' if c.papers == 1 else 'papers'} "
                  f"({c.primary} primary)" + ("" if c.name_fit is None else f", name fit {c.name_fit:.0%}")
                  for label, c in zip(labels, self.counts)]
        if self.waiting_pins:
            lines.append(f"  overrides for papers not in the catalogue: {', '.join(self.waiting_pins)}")
        advice = self.advice()
        if advice:
            lines.append("advice on balance:")
            lines += [f"  {line}" for line in advice]
        names = self.name_advice()
        if names:
            lines.append("advice on names:")
            lines += [f"  {line}" for line in names]
        return "\n".join(lines)


def name_words(name: str) -> list[str]:
    """The words of a topic's name that say what it is about: lower-case ASCII, NAME_FIT_LEFT_OUT left out."""
    return [word for word in dict.fromkeys(match_text(name).split()) if word not in NAME_FIT_LEFT_OUT]


def name_fit(name: str, papers: Sequence[Paper]) -> float | None:
    """Share of these papers whose title or abstract holds a word of the name (name_words), a word
    being found by its first NAME_FIT_PREFIX letters; None for no papers."""
    if not papers:
        return None
    pattern = name_pattern(name_words(name))
    if pattern is None:
        return 0.0
    return sum(bool(pattern.search(match_text(f"{paper.title} {paper.abstract}"))) for paper in papers) / len(papers)


def name_pattern(words: Sequence[str]) -> re.Pattern | None:
    """What finds any of these words of a name in text as match_text writes it: a word beginning
    with the word's first NAME_FIT_PREFIX letters; None for no words."""
    prefixes = sorted({word[:NAME_FIT_PREFIX] for word in words})
    return re.compile(r"\b(?:" + "|".join(map(re.escape, prefixes)) + ")") if prefixes else None


def with_name_fit(report: TopicReport, papers: Sequence[Paper]) -> TopicReport:
    """The report with each topic's name fit over its primary papers (the catch-all's left out)."""
    from dataclasses import replace

    primary: dict[str, list[Paper]] = {}
    for paper in papers:
        if paper.topics:
            primary.setdefault(paper.topics[0], []).append(paper)
    counts = tuple(count if count.slug == report.catch_all else
                   replace(count, name_fit=name_fit(count.name, primary.get(count.slug, ())))
                   for count in report.counts)
    return replace(report, counts=counts)


def n_papers(count: int) -> str:
    """"1 paper", "2 papers": a count of papers in words."""
    return f"{count} paper" if count == 1 else f"{count} papers"


@dataclass(frozen=True)
class TopicAssignment:
    """The topics stage's result: the catalogue with topics, the report and warnings."""

    catalogue: Catalogue
    report: TopicReport
    warnings: list[Diagnostic] = field(default_factory=list)


def assign_topics(catalogue: Catalogue, taxonomy: Taxonomy,
                  overrides: TopicOverrides | None = None) -> TopicAssignment:
    """Stage 2: give every paper 1 to 3 topics, primary first; pins from the overrides win.

    Raises InputError for a pin naming an unknown topic; pins for papers not in the catalogue
    are listed in the report.
    """
    index = TermIndex(taxonomy)
    papers = catalogue.papers

    def topics_of(span: slice) -> list[tuple[str, ...]]:
        return [choose_topics(topic_scores(paper.title, paper.abstract, taxonomy, index), taxonomy,
                              index.named(paper.title, paper.abstract))
                for paper in papers[span]]

    workers = cores() if len(papers) >= PARALLEL_FROM else 1
    step = -(-len(papers) // (workers * 4))
    spans = [slice(start, start + step) for start in range(0, len(papers), step)] if papers else []
    chosen = {paper.id: topics for paper, topics
              in zip(papers, (topics for part in forked_map(topics_of, spans, workers) for topics in part))}
    pinned = 0
    waiting: list[str] = []
    if overrides is not None:
        check_topic_overrides(overrides, taxonomy)
        for pin in overrides.pins:
            if pin.paper_id in chosen:
                chosen[pin.paper_id] = tuple(dict.fromkeys(pin.slugs))
                pinned += 1
            else:
                waiting.append(f"{pin.paper_id} ({overrides.file}:{pin.line})")
    papers = tuple(paper.model_copy(update={"topics": chosen[paper.id]}) for paper in papers)
    report = _report(papers, taxonomy, pinned, tuple(waiting))
    topics = tuple(topic.topic() for topic in taxonomy.topics)
    return TopicAssignment(Catalogue(papers=papers, topics=topics), report)


def _report(papers: Sequence[Paper], taxonomy: Taxonomy, pinned: int,
            waiting: tuple[str, ...] = ()) -> TopicReport:
    counts = {topic.slug: [0, 0] for topic in taxonomy.topics}
    for paper in papers:
        for position, slug in enumerate(paper.topics):
            counts[slug][0] += 1
            counts[slug][1] += position == 0
    return TopicReport(
        total=len(papers),
        counts=tuple(TopicCount(t.slug, t.name, *counts[t.slug]) for t in taxonomy.topics),
        catch_all=taxonomy.catch_all.slug,
        pinned=pinned,
        waiting_pins=waiting,
    )
