"""The garbage collector's settings during a build, and that a build leaves them as it found them."""

from __future__ import annotations

import gc

import pytest

from conftest import REAL_SITE_SRC, ROOT
from paper_catalogue.diagnostics import BuildError
from paper_catalogue.heap import YOUNG_THRESHOLD
from paper_catalogue.pipeline import BuildOptions, build


def options(seeds, out) -> BuildOptions:
    return BuildOptions(seeds=seeds, out=out, site_src=REAL_SITE_SRC, templates=ROOT / "templates",
                        static=ROOT / "static", search_index=False)


def test_a_build_collects_rarely_and_leaves_the_collector_as_it_found_it(tmp_path, seeds, monkeypatch):
    import paper_catalogue.pipeline as pipeline

    seen: dict[str, object] = {}
    original = pipeline.assign_topics

    def spy(catalogue, taxonomy, overrides):
        seen["threshold"] = gc.get_threshold()[0]
        seen["frozen"] = gc.get_freeze_count()
        return original(catalogue, taxonomy, overrides)

    monkeypatch.setattr(pipeline, "assign_topics", spy)
    before = gc.get_threshold()
    build(options(seeds, tmp_path / "out"))
    assert seen["threshold"] == YOUNG_THRESHOLD
    assert seen["frozen"] > 1000  # the catalogue's models, and everything else alive after the read
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_a_failed_build_restores_the_collector_too(tmp_path, seeds, monkeypatch):
    import paper_catalogue.pipeline as pipeline

    def failing(*args, **kwargs):
        raise BuildError("as a test")

    monkeypatch.setattr(pipeline, "assign_topics", failing)
    before = gc.get_threshold()
    with pytest.raises(BuildError):
        build(options(seeds, tmp_path / "out"))
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
