"""The check engine's own behaviour, on small sources written for the async-sleep exercise."""

import json
import subprocess
import sys

from autograder.engine import clients
from autograder.engine.answers import AnswerSpec, default_host
from autograder.engine.clients import AnswerClient
from autograder.engine.runner import run_checks
from autograder.registry import load

HEADER = """
import asyncio
import time

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Report(BaseModel):
    id: int
    title: str
"""

GOOD_ENDPOINT = """
@app.get("/reports/{report_id}")
async def read_report(report_id: int) -> Report:
    await asyncio.sleep(0)
    return Report(id=report_id, title=f"Report {report_id}")
"""


def test_a_cell_that_does_not_run_gets_one_row_naming_the_line():
    source = HEADER + "\nundefined_name + 1\n"
    line = source.splitlines().index("undefined_name + 1") + 1
    result = run_checks("async-sleep", source)
    assert [c.kind for c in result.checks] == ["runs"]
    assert "NameError" in result.checks[0].message
    assert f"line {line}: undefined_name + 1" in result.checks[0].message


def test_a_syntax_error_is_reported_with_its_line():
    result = run_checks("async-sleep", "def broken(:\n    pass\n")
    assert result.checks[0].kind == "runs"
    assert "SyntaxError on line 1" in result.checks[0].message


def test_blocking_hidden_behind_a_broad_except_is_still_reported():
    source = (
        HEADER
        + """
@app.get("/reports/{report_id}")
async def read_report(report_id: int) -> Report:
    try:
        time.sleep(0.001)
    except Exception:
        pass
    return Report(id=report_id, title=f"Report {report_id}")
"""
    )
    result = run_checks("async-sleep", source)
    messages = [c.message for c in result.failures()]
    assert any("`time.sleep` called in `async def read_report`" in m for m in messages), messages


def test_a_coroutine_never_awaited_becomes_a_failing_row():
    source = (
        HEADER
        + GOOD_ENDPOINT
        + """
async def audit() -> None:
    await asyncio.sleep(0)


@app.get("/reports/{report_id}/audit")
async def start_audit(report_id: int) -> dict[str, str]:
    audit()
    return {"status": "queued"}
"""
    )
    host = default_host()
    answer = host.start_answer(AnswerSpec("async-sleep", source=source))
    assert answer.wait_until_serving(10)
    client = AnswerClient(str(answer.socket_path), answer.report)
    assert client.get("/reports/1/audit").status_code == 200
    client.close()
    answer.stop()
    assert any("never awaited" in warning.message for warning in answer.report.warnings)


def test_an_endpoint_that_exits_is_reported_and_later_requests_still_run():
    source = (
        HEADER
        + """
@app.get("/reports/{report_id}")
async def read_report(report_id: int) -> Report:
    raise SystemExit(3)
"""
    )
    result = run_checks("async-sleep", source)
    behaviour = [c for c in result.checks if c.kind == "behaviour" and not c.passed]
    assert len(behaviour) >= 2, "the second request must still reach the app"
    for check in behaviour:
        assert "answered 500" in check.message or "statuses" in check.message, check.message
    explained = [c.message for c in behaviour if "raise SystemExit(3)" in c.message]
    assert explained and "your app raised SystemExit" in explained[0]


def test_an_endpoint_that_never_yields_times_out_with_a_clear_message(monkeypatch):
    monkeypatch.setattr(clients, "REQUEST_TIMEOUT_SECONDS", 1.0)
    source = (
        HEADER
        + """
@app.get("/reports/{report_id}")
async def read_report(report_id: int) -> Report:
    while True:
        await asyncio.sleep(0.01)
"""
    )
    result = run_checks("async-sleep", source)
    messages = " ".join(c.message for c in result.failures())
    assert "did not answer within 1 s" in messages


def test_checks_give_machine_readable_rows():
    result = run_checks("async-sleep", load().exercise("async-sleep").starter_source())
    data = json.loads(json.dumps(result.to_json()))
    assert data["status"] == "failed"
    for row in data["checks"]:
        assert {"name", "rule", "status", "message"} <= row.keys()
    failing = [row for row in data["checks"] if row["status"] == "failed"]
    assert any(row["rule"] == "ASYNC251" for row in failing)
    assert any(
        row["rule"] == "async-1" and "blocked the event loop" in row["message"] for row in failing
    )


def test_the_check_command_reads_a_file_and_exits_nonzero_on_failure(tmp_path):
    source = tmp_path / "answer.py"
    source.write_text(load().exercise("async-sleep").reference_source())
    ok = subprocess.run(
        [sys.executable, "-m", "autograder", "check", "async-sleep", str(source), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert json.loads(ok.stdout)["status"] == "passed"
    missing = subprocess.run(
        [sys.executable, "-m", "autograder", "check", "async-sleep", str(tmp_path / "nope.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2
    assert "Pass the path of a .py file" in missing.stderr
