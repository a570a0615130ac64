"""What a learner may read of a result: capped, and without lines of the hidden material."""

from autograder.engine.results import CheckResult, ExerciseResult
from autograder.engine.sanitize import MAX_MESSAGE_CHARS, WITHHELD, sanitize

REFERENCE = (
    "async def read_report(report_id: int) -> Report:\n    await asyncio.sleep(RENDER_DELAY)\n"
)
HIDDEN = "def test_reports_match_the_reference(learner_client, reference_client, report_id):\n"


def _result(message: str) -> ExerciseResult:
    row = CheckResult("a check", "async-1", "", "failed", message=message, traceback=message)
    return ExerciseResult("async-sleep", checks=[row])


def test_lines_of_the_reference_and_hidden_checks_are_withheld():
    result = _result(
        "GET /reports/7 answered 500\n    await asyncio.sleep(RENDER_DELAY)\n" + HIDDEN
    )
    sanitize(result, answer_source="time.sleep(1)\n", secret_sources=[REFERENCE, HIDDEN])
    message = result.checks[0].message
    assert "await asyncio.sleep(RENDER_DELAY)" not in message
    assert "test_reports_match_the_reference" not in message
    assert message.count(WITHHELD) == 2
    assert message.startswith("GET /reports/7 answered 500")
    assert "asyncio.sleep(RENDER_DELAY)" not in result.checks[0].traceback


def test_a_line_the_learner_wrote_themselves_is_quoted_back():
    line = "    await asyncio.sleep(RENDER_DELAY)"
    result = _result(f"line 18: {line.strip()}")
    sanitize(result, answer_source=line + "\n", secret_sources=[REFERENCE])
    assert result.checks[0].message == f"line 18: {line.strip()}"


def test_long_messages_are_capped():
    result = _result("x" * 1_000_000)
    sanitize(result, answer_source="", secret_sources=[])
    assert len(result.checks[0].message) <= MAX_MESSAGE_CHARS
    assert "more characters" in result.checks[0].message
