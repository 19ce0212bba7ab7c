"""The same papers for Hugo: our build's exported records -> Markdown content files with front matter.

Reading the export (not the seeds) means Hugo gets exactly the papers, ids and topics our build
made, so the two builds make the same pages.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path


def toml_string(text: str) -> str:
    """A TOML basic string; JSON's escapes (\\", \\\\, \\uXXXX) are valid TOML."""
    return json.dumps(text, ensure_ascii=True)


def paper_markdown(paper: dict) -> str:
    """One paper as a Markdown file with TOML front matter; the abstract is the body."""
    front = [f"title = {toml_string(paper['title'])}"]
    if paper.get("published"):
        front.append(f"date = {paper['published']}")
    if paper.get("topics"):
        front.append("topics = [" + ", ".join(toml_string(slug) for slug in paper["topics"]) + "]")
    if paper.get("upvotes"):
        front.append(f"upvotes = {int(paper['upvotes'])}")
    if paper.get("authors"):
        front.append(f"authors = {int(paper['authors'])}")
    if paper.get("organization"):
        front.append(f"organization = {toml_string(paper['organization']['name'])}")
    return "+++\n" + "\n".join(front) + "\n+++\n\n" + paper["abstract"] + "\n"


def write_content(papers: list[dict], content: Path) -> int:
    """Replace `content` with one content/papers/<id>.md per exported paper record; returns the paper count."""
    shutil.rmtree(content, ignore_errors=True)
    folder = content / "papers"
    folder.mkdir(parents=True)
    (folder / "_index.md").write_text('+++\ntitle = "Papers"\n+++\n', encoding="utf-8")
    for paper in papers:
        (folder / f"{paper['id']}.md").write_text(paper_markdown(paper), encoding="utf-8")
    return len(papers)
