from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import (
    ask_both,
    expect_overlap,
    fastest_answer,
    require,
    rule,
    same_answer,
)
from autograder.engine.proptest import slow_examples

RENDER_DELAY = 0.03  # the starter's: seconds the renderer needs before it takes the next job


@rule("async-1", hint="Any report id answers the same report as before.")
@slow_examples
@given(report_id=st.integers(min_value=-(2**40), max_value=2**40))
def test_reports_match_the_reference(learner_client, reference_client, report_id):
    """any report id gets the reference's answer, without blocking"""
    url = f"/reports/{report_id}"
    same_answer(*ask_both(learner_client, reference_client, "GET", url), f"GET {url}")


@rule("async-1", hint="Keep `report_id: int`: a malformed id is a 422.")
@slow_examples
@given(report_id=st.text(min_size=1, max_size=8))
def test_bad_ids_are_rejected_like_the_reference(learner_client, reference_client, report_id):
    """malformed report ids are rejected as the reference rejects them"""
    url = f"/reports/{quote(report_id, safe='')}"
    same_answer(*ask_both(learner_client, reference_client, "GET", url), f"GET {url}")


@rule("async-1", hint="No report request may hold the loop while it waits.")
def test_a_burst_of_mixed_reports_is_served_together(learner_client):
    """twenty requests for assorted reports, sent at once, are served together"""
    ids = [7, -1, 0, 2**31, 12, 99, 3, 41, 5, 1000] * 2
    expect_overlap(learner_client, [("GET", f"/reports/{n}", {}) for n in ids], "report requests")


@rule("async-1", hint="The wait stays: yield to the loop during it, do not skip it.")
def test_each_report_still_waits_for_the_renderer(learner_client):
    """each report still waits the renderer's delay (timed here): the wait is awaited, not gone"""
    # A lower bound only: a loaded machine makes requests slower, never faster than the wait.
    fastest = fastest_answer(learner_client, "GET", "/reports/3", samples=3, less_waits=False)
    require(
        fastest >= RENDER_DELAY * 0.9,
        f"GET /reports/3 answered in {fastest * 1000:.0f} ms; the renderer needs "
        f"{RENDER_DELAY * 1000:.0f} ms per report. Removing the wait is not the fix: the report "
        "is not rendered. Keep the wait and let the loop serve others meanwhile "
        "(`await asyncio.sleep(RENDER_DELAY)`).",
    )
