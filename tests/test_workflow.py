"""Publishing: the GitHub Pages workflow (schema, steps, permissions) and the files Pages needs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURE_SEEDS, REAL_SITE_SRC, ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    document = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    # YAML 1.1 (PyYAML) reads the bare key `on` as True; GitHub reads it as "on".
    document["on"] = document.pop(True, document.get("on"))
    return document


def test_the_workflow_is_valid_against_githubs_schema():
    checker = Path(sys.executable).with_name("check-jsonschema")
    command = [str(checker)] if checker.exists() else [sys.executable, "-m", "check_jsonschema"]
    result = subprocess.run([*command, "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_deploys_on_push_to_main_and_by_hand_and_tests_pull_requests(workflow):
    triggers = workflow["on"]
    assert triggers["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in triggers and "pull_request" in triggers
    test = workflow["jobs"]["test"]
    assert test["if"] == "github.event_name == 'pull_request'"
    assert [step.get("run") for step in test["steps"]][-1] == "bash .ci/run"
    # Debian's chromium: on Ubuntu runners apt gives only the snap stub, and browser tests must not skip.
    assert test["container"].startswith("python:3.11-") and "bookworm" in test["container"]
    assert workflow["jobs"]["deploy"]["if"] == "github.event_name != 'pull_request'"


def uses(step: dict) -> str:
    return step.get("uses", "").split("@")[0]


def test_the_deploy_steps_run_in_order(workflow):
    steps = workflow["jobs"]["deploy"]["steps"]
    actions = [uses(step) or step["run"] for step in steps]
    assert actions == [
        "actions/checkout",
        "actions/setup-python",
        "pip install -e .",
        "actions/configure-pages",
        'python build.py --base-url "${{ steps.pages.outputs.base_url }}/" --strict',
        "actions/upload-pages-artifact",
        "actions/deploy-pages",
    ]
    by_action = {uses(step): step for step in steps if "uses" in step}
    assert by_action["actions/setup-python"]["with"]["cache"] == "pip"
    assert by_action["actions/configure-pages"]["id"] == "pages"
    assert by_action["actions/upload-pages-artifact"]["with"]["path"] == "_site"
    assert by_action["actions/deploy-pages"]["id"] == "deployment"


def test_permissions_concurrency_and_environment_are_githubs(workflow):
    deploy = workflow["jobs"]["deploy"]
    assert deploy["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow["permissions"] == {"contents": "read"}  # the test job gets no more
    assert deploy["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    assert deploy["environment"] == {"name": "github-pages",
                                     "url": "${{ steps.deployment.outputs.page_url }}"}


def build(tmp_path: Path, site_toml: str) -> Path:
    site_src = tmp_path / "site_src"
    site_src.mkdir()
    (site_src / "site.toml").write_text(site_toml, encoding="utf-8")
    # Copy the rest of the real test site_src (topics, pages) so the build sees a complete site.
    for item in REAL_SITE_SRC.iterdir():
        if item.name != "site.toml":
            copy = shutil.copytree if item.is_dir() else shutil.copy2
            copy(item, site_src / item.name)
    out = tmp_path / "_site"
    result = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--seeds", str(FIXTURE_SEEDS), "--site-src",
         str(site_src), "--out", str(out), "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return out


def test_the_site_has_nojekyll_and_no_cname_without_a_custom_domain(tmp_path):
    out = build(tmp_path, 'title = "Papers"\n')
    assert (out / ".nojekyll").is_file()
    assert not (out / "CNAME").exists()


def test_a_custom_domain_becomes_cname(tmp_path):
    out = build(tmp_path, 'cname = "papers.example.org"\nbase_url = "https://papers.example.org/"\n')
    assert (out / "CNAME").read_text(encoding="utf-8") == "papers.example.org\n"
    assert (out / ".nojekyll").is_file()
