"""Publishing: the GitHub Pages workflow (schema, steps, permissions) and the files Pages needs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from api_replay import replaying
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


def fetch_step(workflow) -> dict:
    return next(step for step in workflow["jobs"]["deploy"]["steps"] if step.get("id") == "fetch")


def test_the_deploy_steps_run_in_order(workflow):
    steps = workflow["jobs"]["deploy"]["steps"]
    actions = [uses(step) or ("(fetch)" if step.get("id") == "fetch" else step["run"]) for step in steps]
    assert actions[:-1] == [
        "actions/checkout",
        "actions/setup-python",
        "pip install -e .",
        "(fetch)",
        "actions/configure-pages",
        'python build.py --base-url "${{ steps.pages.outputs.base_url }}/" --strict',
        "actions/upload-pages-artifact",
        "actions/deploy-pages",
    ]
    # A day that could not be fetched fails the run, but only once the rest is published.
    assert steps[-1]["if"] == "steps.fetch.outputs.status != '' && steps.fetch.outputs.status != '0'"
    assert steps[-1]["run"].rstrip().endswith("exit 1")
    by_action = {uses(step): step for step in steps if "uses" in step}
    assert by_action["actions/setup-python"]["with"]["cache"] == "pip"
    assert by_action["actions/configure-pages"]["id"] == "pages"
    assert by_action["actions/upload-pages-artifact"]["with"]["path"] == "_site"
    assert by_action["actions/deploy-pages"]["id"] == "deployment"


def test_it_fetches_the_latest_papers_every_day_and_when_run_by_hand(workflow):
    (schedule,) = workflow["on"]["schedule"]
    minute, hour, *every_day = schedule["cron"].split()
    assert every_day == ["*", "*", "*"] and 0 <= int(minute) < 60 and 0 <= int(hour) < 24
    step = fetch_step(workflow)
    assert step["if"] == "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'"
    assert step["env"] == {"HF_TOKEN": "${{ secrets.HF_TOKEN }}"}
    assert "python build.py fetch || status=$?" in step["run"]


def git(*args: str, cwd: Path) -> str:
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.org"]
    return subprocess.run(["git", *identity, *args], cwd=cwd, capture_output=True, text=True, check=True,
                          timeout=60).stdout


@pytest.mark.skipif(shutil.which("git") is None or shutil.which("bash") is None, reason="needs git and bash")
def test_the_fetch_step_commits_the_fetched_days_and_pushes_them(workflow, tmp_path):
    """The step's script, run as GitHub runs it, in a clone whose origin moved on meanwhile."""
    origin, work, other = tmp_path / "origin.git", tmp_path / "work", tmp_path / "other"
    git("init", "--quiet", "--bare", "--initial-branch=main", str(origin), cwd=tmp_path)
    git("clone", "--quiet", str(origin), str(work), cwd=tmp_path)
    # The checkout's build.py, without the pause between requests.
    (work / "build.py").write_text("import sys\nfrom paper_catalogue.cli import main\n"
                                   "sys.exit(main([*sys.argv[1:], '--pause', '0']))\n", encoding="utf-8")
    git("add", "build.py", cwd=work)
    git("commit", "--quiet", "-m", "a checkout", cwd=work)
    git("push", "--quiet", "origin", "HEAD:main", cwd=work)
    git("clone", "--quiet", str(origin), str(other), cwd=tmp_path)
    (other / "README.md").write_text("pushed while the workflow ran\n", encoding="utf-8")
    git("add", "README.md", cwd=other)
    git("commit", "--quiet", "-m", "pushed meanwhile", cwd=other)
    git("push", "--quiet", "origin", "HEAD:main", cwd=other)

    today = datetime.now(timezone.utc).date()
    failing = (today - timedelta(days=3)).isoformat()
    outputs = tmp_path / "github_output"
    with replaying() as server:
        server.faults[(failing, 0)] = ["404", "404"]  # the same day fails in both runs
        env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "HOME": str(tmp_path),
               "GIT_CONFIG_NOSYSTEM": "1", "GITHUB_OUTPUT": str(outputs), "GITHUB_REF_NAME": "main",
               "HF_ENDPOINT": server.url, "HF_TOKEN": ""}
        for _ in range(2):  # the second run fetches the same lists again: nothing to commit
            result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", fetch_step(workflow)["run"]],
                                    cwd=work, env=env, capture_output=True, text=True, timeout=120)
            assert result.returncode == 0, result.stderr
            assert f"failed  {failing}  HTTP 404" in result.stderr

    assert outputs.read_text(encoding="utf-8") == "status=1\n" * 2
    subjects = git("log", "--format=%s", "main", cwd=origin).splitlines()
    assert subjects == ["seeds/hf-daily: the latest Daily Papers, fetched by the scheduled workflow",
                        "pushed meanwhile", "a checkout"]
    fetched = git("ls-tree", "-r", "--name-only", "main", "seeds/hf-daily", cwd=origin).split()
    expected = [f"seeds/hf-daily/{today - timedelta(days=back)}.json" for back in range(6, -1, -1)]
    assert fetched == [name for name in expected if failing not in name]


def test_permissions_concurrency_and_environment_are_githubs(workflow):
    deploy = workflow["jobs"]["deploy"]
    # contents: write for the fetch step's push, on this job only.
    assert deploy["permissions"] == {"contents": "write", "pages": "write", "id-token": "write"}
    assert workflow["permissions"] == {"contents": "read"}  # the test job gets no more
    assert "permissions" not in workflow["jobs"]["test"]
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
