"""A rebuild's Pagefind bundle: content-named files carried over from the last one, pruned to what the new index names."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

import paper_catalogue.search as search
from paper_catalogue.pipeline import build
from paper_catalogue.search_bundle import SIGNATURE, cbor_texts, prune

from test_cache import NEW_PAPER, build_logged, options, spare_folders


def text(value: str) -> bytes:
    raw = value.encode("utf-8")
    assert len(raw) < 24
    return bytes([0x60 + len(raw)]) + raw


def bundle_bytes(site: Path) -> dict[str, bytes]:
    bundle = site / "pagefind"
    return {path.relative_to(bundle).as_posix(): path.read_bytes() for path in sorted(bundle.rglob("*")) if path.is_file()}


def stems(folder: Path) -> set[str]:
    return {path.name.split(".")[0] for path in folder.iterdir()}


def meta_texts(site: Path) -> set[str]:
    (meta,) = (site / "pagefind").glob("pagefind.*.pf_meta")
    data = gzip.decompress(meta.read_bytes())
    assert data.startswith(SIGNATURE)
    return cbor_texts(data[len(SIGNATURE):])


def test_cbor_texts_finds_every_text_string_whatever_the_nesting():
    data = (bytes([0x88]) + text("1.5.2")                                  # an array of 8
            + bytes([0x82, 0x82]) + text("en_a") + bytes([0x0A])             # [["en_a", 10],
            + bytes([0x82]) + text("en_b") + bytes([0x19, 0x01, 0x00])       #  ["en_b", 256]]
            + bytes([0xA1]) + text("key") + text("value")                    # {"key": "value"}
            + bytes([0xC1]) + text("tagged")                                 # 1("tagged")
            + bytes([0x42, 0x00, 0xFF])                                      # h'00ff', not text
            + bytes([0xF9, 0x3E, 0x00])                                      # 1.5 as a half float
            + bytes([0x22])                                                  # -3
            + bytes([0x78, 30]) + b"x" * 30)                                 # a 30-byte text
    assert cbor_texts(data) == {"1.5.2", "en_a", "en_b", "key", "value", "tagged", "x" * 30}


@pytest.mark.parametrize("data", [bytes([0x82]) + text("a"),              # one item short
                                  bytes([0x63]) + b"ab",                   # text cut short
                                  bytes([0x9F, 0x01, 0xFF]),               # indefinite length
                                  text("a") + text("b")])                  # bytes after the item
def test_cbor_texts_refuses_what_it_cannot_read_fully(data):
    with pytest.raises(ValueError):
        cbor_texts(data)


def test_a_real_meta_file_names_every_file_of_its_bundle(tmp_path, seeds):
    out = tmp_path / "out"
    result = build(options(seeds, out, None))
    named = meta_texts(out)
    fragments = stems(out / "pagefind" / "fragment")
    assert len(fragments) == len(result.catalogue.papers)
    for folder in ("fragment", "index", "filter"):
        assert stems(out / "pagefind" / folder) <= named
    assert prune(out / "pagefind", frozenset()) == 0  # nothing to remove from a fresh bundle


def test_prune_removes_what_the_index_does_not_name_and_refuses_a_bundle_short_of_a_fragment(tmp_path, seeds):
    out = tmp_path / "out"
    build(options(seeds, out, None))
    bundle = out / "pagefind"
    before = bundle_bytes(out)
    stale = frozenset({"fragment/en_0000000.pf_fragment", "index/en_0000000.pf_index", "pagefind.en_00000000.pf_meta"})
    for path in stale:
        (bundle / path).write_bytes(b"stale")
    assert prune(bundle, stale) == 3
    assert bundle_bytes(out) == before
    for path in stale:
        (bundle / path).write_bytes(b"stale")
    # An unnamed file that was not carried over is one Pagefind wrote: the names were misread.
    assert prune(bundle, stale - {"index/en_0000000.pf_index"}) is None
    assert prune(bundle, stale) == 3
    next((bundle / "fragment").iterdir()).unlink()
    assert prune(bundle, frozenset()) is None
    (bundle / "pagefind-entry.json").write_text("{}", encoding="utf-8")
    assert prune(bundle, frozenset()) is None


def test_a_rebuild_carries_the_last_bundle_over_and_keeps_only_what_the_new_index_names(tmp_path, seeds):
    out, cache, cold = tmp_path / "out", tmp_path / "cache", tmp_path / "cold"
    build(options(seeds, out, cache))
    before = bundle_bytes(out)
    with open(seeds / "001_spaced.txt", "a", encoding="utf-8") as handle:
        handle.write(NEW_PAPER)
    messages = build_logged(options(seeds, out, cache))
    assert any("files carried over from the last" in line for line in messages), messages
    build(options(seeds, cold, None))
    # Pagefind names fragments by their content, so a rebuild and a cold build have the same ones,
    # and as many index and filter chunks; and the rebuild's bundle holds nothing its index does not name.
    bundle, cold_bundle = out / "pagefind", cold / "pagefind"
    assert stems(bundle / "fragment") == stems(cold_bundle / "fragment")
    for folder in ("index", "filter"):
        assert len(stems(bundle / folder)) == len(stems(cold_bundle / folder))
    named = meta_texts(out)
    for folder in ("fragment", "index", "filter"):
        assert stems(bundle / folder) <= named
    assert len(list(bundle.glob("pagefind.*.pf_meta"))) == 1
    # Carried files are hard links to the last site's, which must not change: it is the spare now.
    (spare,) = spare_folders(cache)
    assert bundle_bytes(spare) == before
    old = spare / "pagefind" / "fragment"
    shared = [path for path in (bundle / "fragment").iterdir()
              if (old / path.name).exists() and path.stat().st_ino == (old / path.name).stat().st_ino]
    assert len(shared) == len(stems(bundle / "fragment")) - 1  # all but the new paper's


def test_a_carried_bundle_that_cannot_be_pruned_is_indexed_again_from_empty(tmp_path, seeds, monkeypatch):
    out, cache, cold = tmp_path / "out", tmp_path / "cache", tmp_path / "cold"
    build(options(seeds, out, cache))
    with open(seeds / "001_spaced.txt", "a", encoding="utf-8") as handle:
        handle.write(NEW_PAPER)
    starts: list[Path] = []
    original = search.PagefindRun._start

    def counted(run) -> None:
        starts.append(run.site)
        original(run)

    monkeypatch.setattr(search.PagefindRun, "_start", counted)
    monkeypatch.setattr(search, "prune", lambda bundle, carried: None)  # as if the meta file could not be read
    messages = build_logged(options(seeds, out, cache))
    assert len(starts) == 2
    assert not any("carried over" in line for line in messages)
    monkeypatch.undo()
    build(options(seeds, cold, None))
    bundle, cold_bundle = out / "pagefind", cold / "pagefind"
    assert stems(bundle / "fragment") == stems(cold_bundle / "fragment")
    for folder in ("index", "filter"):
        assert len(stems(bundle / folder)) == len(stems(cold_bundle / folder))
    assert len(list(bundle.glob("pagefind.*.pf_meta"))) == 1
