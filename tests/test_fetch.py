"""`build.py fetch` against a real local server replaying recorded API responses: every page, the
files it writes, skipping, the token and endpoint, retries and each fault, exit codes, Ctrl-C."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from datetime import date, datetime, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest

from api_replay import DAYS, RECORDED, replaying
from conftest import ROOT, as_from_a_terminal
from paper_catalogue import fetch
from paper_catalogue.cli import main, make_parser


@pytest.fixture
def server(monkeypatch):
    with replaying() as replay:
        monkeypatch.setenv("HF_ENDPOINT", replay.url)
        monkeypatch.delenv("HF_TOKEN", raising=False)
        yield replay


def run_fetch(capsys, seeds: Path, *args) -> tuple[int, str, str]:
    """`build.py fetch` in this process, without pauses and with a short timeout."""
    code = main(["fetch", "--seeds", str(seeds), "--pause", "0", "--timeout", "1", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def written(seeds: Path, day: str) -> list:
    return json.loads((seeds / "hf-daily" / f"{day}.json").read_text(encoding="utf-8"))


def exactly(items: list) -> str:
    """Items as text that keeps key order, so equal text means the same items in the same form."""
    return json.dumps(items, ensure_ascii=False)


def leftovers(seeds: Path) -> list[str]:
    return sorted(path.name for path in seeds.rglob("*.incomplete"))


# Pages and files

def test_every_page_is_read_until_an_empty_one(server, tmp_path, capsys):
    code, out, err = run_fetch(capsys, tmp_path, "--date", "2025-10-08")
    assert code == 0, err
    # 23 items at 10 a page: pages 0, 1, 2 (a short one: not the end) and the empty page 3.
    assert server.pages("2025-10-08") == [0, 1, 2, 3]
    assert {request["limit"] for request in server.requests} == {fetch.PAGE_LIMIT}
    assert exactly(written(tmp_path, "2025-10-08")) == exactly(DAYS["2025-10-08"])
    assert "2025-10-08  23 papers (23 new), 4 pages" in err
    assert out.strip() == "days: 1 fetched, 0 skipped, 0 failed; papers: 23 new, 0 known"


def test_the_file_is_the_apis_items_in_a_fixed_layout(server, tmp_path, capsys):
    assert run_fetch(capsys, tmp_path, "--date", "2025-10-06")[0] == 0
    data = (tmp_path / "hf-daily" / "2025-10-06.json").read_bytes()
    assert data == (json.dumps(DAYS["2025-10-06"], ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    assert run_fetch(capsys, tmp_path, "--date", "2025-10-06")[0] == 0
    assert (tmp_path / "hf-daily" / "2025-10-06.json").read_bytes() == data


def test_a_day_without_papers_is_an_empty_list(server, tmp_path, capsys):
    code, out, err = run_fetch(capsys, tmp_path, "--since", "2025-10-04", "--until", "2025-10-08")
    assert code == 0, err
    assert written(tmp_path, "2025-10-04") == [] and written(tmp_path, "2025-10-05") == []
    assert sorted(path.name for path in (tmp_path / "hf-daily").iterdir()) == [
        f"2025-10-0{day}.json" for day in range(4, 9)]
    assert out.strip() == "days: 5 fetched, 0 skipped, 0 failed; papers: 65 new, 0 known"


def test_a_page_that_repeats_items_of_the_one_before_keeps_each_paper_once(server, tmp_path, capsys):
    server.overlap = 3  # the list moved while it was read
    code, _, err = run_fetch(capsys, tmp_path, "--date", "2025-10-07")
    assert code == 0, err
    assert exactly(written(tmp_path, "2025-10-07")) == exactly(DAYS["2025-10-07"])


def test_a_server_that_ignores_the_page_fails_the_day_instead_of_looping(server, tmp_path, capsys):
    server.ignore_page = True
    code, out, err = run_fetch(capsys, tmp_path, "--date", "2025-10-07")
    assert code == 1
    assert server.pages("2025-10-07") == [0, 1]
    assert "failed  2025-10-07  page 1 repeats the pages before it" in err
    assert not (tmp_path / "hf-daily" / "2025-10-07.json").exists()


# Skipping, known papers

def test_days_on_disk_are_skipped_except_the_last_two(server, tmp_path, capsys):
    span = ["--since", "2025-10-05", "--until", "2025-10-08"]
    assert run_fetch(capsys, tmp_path, *span)[0] == 0
    server.requests.clear()
    code, out, err = run_fetch(capsys, tmp_path, *span)
    assert code == 0, err
    assert sorted({request["date"] for request in server.requests}) == ["2025-10-07", "2025-10-08"]
    for day in ("2025-10-05", "2025-10-06"):
        assert f"skipped  {day}  {tmp_path / 'hf-daily' / day}.json exists" in err
    assert "fetched  2025-10-07  26 papers (0 new)" in err
    assert out.strip() == "days: 2 fetched, 2 skipped, 0 failed; papers: 0 new, 49 known"


def test_known_papers_are_those_in_any_json_or_jsonl_under_the_seeds(server, tmp_path, capsys):
    archive = tmp_path / "archive"
    archive.mkdir()
    items = DAYS["2025-10-08"]
    (archive / "old.json").write_text(json.dumps(items[:5]), encoding="utf-8")
    (archive / "more.jsonl").write_text("".join(json.dumps(item) + "\n" for item in items[5:8])
                                        + "{not json\n", encoding="utf-8")
    (archive / "papers.jsonl").write_text(json.dumps({"id": items[8]["paper"]["id"]}) + "\n", encoding="utf-8")
    (archive / "2024-12-11.json").write_bytes((RECORDED / "damaged" / "2024-12-11.json").read_bytes())
    (archive / "broken.json").write_text('[\n{"paper": ', encoding="utf-8")
    code, out, err = run_fetch(capsys, tmp_path, "--date", "2025-10-08")
    assert code == 0, err
    assert out.strip() == "days: 1 fetched, 0 skipped, 0 failed; papers: 14 new, 9 known"
    assert f"{archive / 'more.jsonl'}:4: warning: not JSON" in err
    assert f"{archive / 'broken.json'}:2: warning: not JSON" in err
    assert f"{archive / '2024-12-11.json'}: warning: 26 of 26 items hold no paper id" in err


# Endpoint, token, politeness

def test_hf_endpoint_and_hf_token_are_honoured_and_the_token_is_never_printed(server, tmp_path, capsys,
                                                                               monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", server.url + "/mirror/")
    monkeypatch.setenv("HF_TOKEN", "hf_test_secret_token")
    code, out, err = run_fetch(capsys, tmp_path, "--date", "2025-10-06")
    assert code == 0, err
    assert {request["path"] for request in server.requests} == {"/mirror/api/daily_papers"}
    for request in server.requests:
        assert request["headers"]["Authorization"] == "Bearer hf_test_secret_token"
        assert request["headers"]["User-Agent"].startswith("paper-catalogue/")
    assert "hf_test_secret_token" not in out + err
    assert "hf_test_secret_token" not in repr(fetch.FetchSettings.from_environment())


def test_the_token_is_not_sent_where_a_redirect_points(server, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_test_secret_token")
    server.faults[("2025-10-06", 0)] = ["redirect"]
    assert run_fetch(capsys, tmp_path, "--date", "2025-10-06")[0] == 0
    first, moved = server.requests[:2]
    assert first["headers"]["Authorization"] == "Bearer hf_test_secret_token"
    assert moved["path"] == "/api/daily_papers" and "Authorization" not in moved["headers"]
    assert exactly(written(tmp_path, "2025-10-06")) == exactly(DAYS["2025-10-06"])


def test_no_token_no_authorization_header(server, tmp_path, capsys):
    assert run_fetch(capsys, tmp_path, "--date", "2024-09-03")[0] == 0
    assert server.requests and all("Authorization" not in request["headers"] for request in server.requests)


def test_requests_are_spaced_by_the_pause(server, tmp_path):
    code = main(["fetch", "--seeds", str(tmp_path), "--date", "2025-10-07", "--pause", "0.2", "--quiet"])
    assert code == 0
    times = [request["time"] for request in server.requests]
    assert len(times) == 4
    assert min(later - earlier for earlier, later in zip(times, times[1:])) >= 0.19


@pytest.mark.parametrize("endpoint", ["huggingface.co", "ftp://huggingface.co", "http://", "http://host:port"])
def test_an_endpoint_that_is_not_an_http_address_is_a_usage_error(tmp_path, capsys, monkeypatch, endpoint):
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    code, _, err = run_fetch(capsys, tmp_path, "--date", "2025-10-06")
    assert code == 2 and f"HF_ENDPOINT={endpoint.rstrip('/')!r} is not an http:// or https:// address" in err


# Retries and faults

def test_429_waits_as_long_as_retry_after_says(server, tmp_path, capsys):
    server.faults[("2025-10-06", 1)] = ["429"]
    started = time.monotonic()
    code, _, err = run_fetch(capsys, tmp_path, "--date", "2025-10-06")
    assert code == 0, err
    assert time.monotonic() - started >= 1.0
    assert server.pages("2025-10-06") == [0, 1, 1, 2]
    assert exactly(written(tmp_path, "2025-10-06")) == exactly(DAYS["2025-10-06"])
    assert (f"   retry  2025-10-06  HTTP 429 Too Many Requests: {server.url}/api/daily_papers?date=2025-10-06"
            "&p=1&limit=100; try 2 of 5 in 1 s") in err


def test_retry_after_is_capped(server, tmp_path):
    server.retry_after = "3600"
    server.faults[("2025-10-06", 0)] = ["429", "429"]
    settings = fetch.FetchSettings(endpoint=server.url, pause=0, timeout=1, max_wait=0.2)
    started = time.monotonic()
    summary = fetch.fetch_days([date(2025, 10, 6)], tmp_path, settings)
    assert summary.fetched == 1 and time.monotonic() - started < 5


def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2025, 10, 6, 12, 0, 0, tzinfo=timezone.utc)
    assert fetch.retry_after("7", now) == 7.0
    assert fetch.retry_after(format_datetime(datetime(2025, 10, 6, 12, 0, 30, tzinfo=timezone.utc), usegmt=True),
                             now) == 30.0
    assert fetch.retry_after("Mon, 06 Oct 2025 11:00:00 GMT", now) == 0.0  # in the past: no wait
    assert fetch.retry_after("soon", now) is None and fetch.retry_after(None, now) is None


@pytest.mark.parametrize("faults", [["500", "503"], ["reset"], ["truncated"], ["slow"]],
                         ids=["5xx", "reset", "truncated", "timeout"])
def test_a_passing_fault_is_retried(server, tmp_path, capsys, faults):
    server.slow = 2.5  # longer than the client's 1 s timeout
    server.faults[("2025-10-08", 1)] = list(faults)
    code, _, err = run_fetch(capsys, tmp_path, "--date", "2025-10-08")
    assert code == 0, err
    assert server.pages("2025-10-08") == [0] + [1] * (len(faults) + 1) + [2, 3]
    assert exactly(written(tmp_path, "2025-10-08")) == exactly(DAYS["2025-10-08"])


@pytest.mark.parametrize("fault, tries, reason", [
    ("500", 5, "HTTP 500 Internal Server Error (5 tries)"),
    ("reset", 5, "connection closed without a complete response (5 tries)"),
    ("slow", 5, "no answer within 1 s (5 tries)"),
    ("truncated", 5, "response cut off after"),
    ("404", 1, "HTTP 404 Not Found"),
    ("invalid", 1, "not JSON ("),
])
def test_a_failed_day_is_reported_and_the_next_day_is_still_fetched(server, tmp_path, capsys, fault, tries, reason):
    server.slow = 1.5
    server.faults[("2025-10-06", 1)] = [fault] * 9
    code, out, err = run_fetch(capsys, tmp_path, "--since", "2025-10-06", "--until", "2025-10-07")
    assert code == 1
    assert server.pages("2025-10-06") == [0] + [1] * tries
    failed = [line for line in err.splitlines() if "failed  2025-10-06" in line]
    assert len(failed) == 1 and reason in failed[0]
    assert f"{server.url}/api/daily_papers?date=2025-10-06&p=1&limit=100" in failed[0]
    assert not (tmp_path / "hf-daily" / "2025-10-06.json").exists()
    assert exactly(written(tmp_path, "2025-10-07")) == exactly(DAYS["2025-10-07"])
    assert out.strip() == "days: 1 fetched, 0 skipped, 1 failed; papers: 26 new, 0 known"
    assert leftovers(tmp_path) == []
    assert "Traceback" not in err


def test_items_that_are_not_papers_fail_the_day(server, tmp_path, capsys):
    server.bodies["2024-12-11"] = json.loads((RECORDED / "damaged" / "2024-12-11.json").read_text(encoding="utf-8"))
    code, _, err = run_fetch(capsys, tmp_path, "--date", "2024-12-11")
    assert code == 1
    assert "failed  2024-12-11  item 1 is not a paper (no paper.id)" in err
    assert not (tmp_path / "hf-daily").exists() or not any((tmp_path / "hf-daily").iterdir())


def test_a_day_that_cannot_be_written_leaves_no_incomplete_file(server, tmp_path, capsys):
    (tmp_path / "hf-daily" / "2025-10-06.json").mkdir(parents=True)  # a folder where the file goes
    code, out, err = run_fetch(capsys, tmp_path, "--since", "2025-10-05", "--until", "2025-10-07")
    assert code == 1
    assert "failed  2025-10-06  cannot write" in err
    assert leftovers(tmp_path) == []
    assert written(tmp_path, "2025-10-07") == DAYS["2025-10-07"]
    assert out.strip().startswith("days: 2 fetched, 0 skipped, 1 failed")


def test_a_lone_surrogate_is_kept_as_its_escape(tmp_path):
    items = [{"paper": {"id": "1", "title": "x\ud800y"}}]
    fetch.write_day(tmp_path / "day.json", items)
    assert json.loads((tmp_path / "day.json").read_text(encoding="ascii")) == items
    assert leftovers(tmp_path) == []


# No network, Ctrl-C, the command line

def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_build(*args, env_extra: dict[str, str]) -> subprocess.Popen:
    env = {"PATH": "", "PYTHONPATH": str(ROOT), **env_extra}
    return subprocess.Popen([sys.executable, str(ROOT / "build.py"), "fetch", *map(str, args)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=as_from_a_terminal)


def test_nothing_listening_is_one_line_and_no_traceback(tmp_path):
    endpoint = f"http://127.0.0.1:{closed_port()}"
    error = f"error: cannot reach {endpoint}: connection refused (5 tries); nothing more fetched"
    process = run_build("--seeds", tmp_path, "--since", "2025-10-06", "--until", "2025-10-08",
                        "--pause", "0.01", env_extra={"HF_ENDPOINT": endpoint})
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1 and out == ""
    *retries, last = err.splitlines()
    assert last == error
    assert len(retries) == 4 and all(line.startswith("   retry  2025-10-06  connection refused") for line in retries)
    process = run_build("--seeds", tmp_path, "--date", "2025-10-06", "--pause", "0.01", "--quiet",
                        env_extra={"HF_ENDPOINT": endpoint})
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1 and out == "" and err.splitlines() == [error]
    assert "Traceback" not in err and leftovers(tmp_path) == []


def test_ctrl_c_leaves_no_partial_file_and_exits_130(server, tmp_path):
    server.slow = 30
    server.faults[("2025-10-07", 1)] = ["interrupt"]
    process = run_build("--seeds", tmp_path, "--since", "2025-10-06", "--until", "2025-10-07",
                        "--pause", "0", env_extra={"HF_ENDPOINT": server.url})
    try:
        assert server.waiting.wait(30), "the fetch never reached the second day's second page"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert written(tmp_path, "2025-10-06") == DAYS["2025-10-06"]
    assert not (tmp_path / "hf-daily" / "2025-10-07.json").exists()
    assert leftovers(tmp_path) == []


def test_help_reads_well():
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "fetch", "--help"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    for word in ("--date DAY", "--since DAY", "--until DAY", "--days N", "--seeds DIR", "--pause SECONDS",
                 "--timeout SECONDS", "HF_ENDPOINT", "HF_TOKEN", "exit codes", "hf-daily/YYYY-MM-DD.json",
                 f"the last {fetch.DEFAULT_DAYS} days", f"(default: {fetch.DEFAULT_DAYS})"):
        assert word in result.stdout
    assert "fetch" in make_parser().format_help()


@pytest.mark.parametrize("args, message", [
    (["--date", "2025-10-06", "--until", "2025-10-07"], "--until goes with --since or --days"),
    (["--since", "2025-10-08", "--until", "2025-10-06"], "--since 2025-10-08 is after --until 2025-10-06"),
    (["--date", "2999-01-01"], "2999-01-01 is after today"),
    (["--days", "0"], "--days must be at least 1"),
    (["--date", "2025-13-01"], "not a date (YYYY-MM-DD): '2025-13-01'"),
    (["--date", "2025-10-06", "--days", "3"], "not allowed with argument"),
])
def test_usage_errors_exit_2(tmp_path, capsys, args, message):
    try:
        code = main(["fetch", "--seeds", str(tmp_path), *args])
    except SystemExit as exit:  # argparse's own errors
        code = exit.code
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "hf-daily").exists()


def test_the_range_of_days():
    today = date(2025, 10, 8)
    span = fetch.date_range(None, None, None, None, today)
    assert span[0] == date(2025, 10, 2) and span[-1] == today and len(span) == fetch.DEFAULT_DAYS
    assert fetch.date_range(date(2025, 10, 6), None, None, None, today) == [date(2025, 10, 6)]
    assert fetch.date_range(None, date(2025, 9, 30), date(2025, 10, 1), None, today) == [
        date(2025, 9, 30), date(2025, 10, 1)]
    assert fetch.date_range(None, None, date(2025, 10, 1), 2, today) == [date(2025, 9, 30), date(2025, 10, 1)]
    assert fetch.date_range(None, date(2025, 10, 7), None, None, today) == [date(2025, 10, 7), today]
