from autograder.engine.checkkit import (
    endpoint_in,
    expect_overlap,
    expect_status,
    reported_blocking,
    require,
    rule,
)

BURST = 10


@rule(
    "async-1",
    hint=(
        "time.sleep holds the whole event loop; `await asyncio.sleep(...)` waits without "
        "holding it."
    ),
)
def test_a_report_request_never_blocks_the_loop(learner_client, learner_report):
    """GET /reports/{id} answers without blocking the event loop (timed from outside)"""
    response = learner_client.get("/reports/7")
    expect_status(response, 200, "GET /reports/7")
    require(
        response.json() == {"id": 7, "title": "Report 7"},
        f"GET /reports/7 answered {response.json()}.",
    )
    expect_overlap(
        learner_client,
        [("GET", f"/reports/{n}", {}) for n in range(BURST)],
        "report requests",
        headline="GET /reports/{id} blocked the event loop",
        why=lambda: reported_blocking(learner_report, "GET /reports", wait=1.0),
    )


@rule("async-1", hint="Keep `async def` and await an async sleep instead.")
def test_the_endpoint_stays_async(learner_source):
    """read_report stays an async def"""
    endpoint = endpoint_in(learner_source, "GET", "/reports/{report_id}")
    require(
        endpoint is not None,
        'No `@app.get("/reports/{report_id}")` endpoint is declared in the cell.',
    )
    require(
        endpoint.is_async,
        f"`{endpoint.name}` became a plain def: each waiting request would now hold one of "
        "the threadpool's 40 threads instead of yielding the loop while it waits.",
    )


@rule(
    "mandate-2",
    hint="Every request must still answer 200 with its report while others are in flight.",
)
def test_reports_at_once_all_answer(learner_client):
    """five concurrent requests are all served"""
    timed, _ = learner_client.concurrently([("GET", f"/reports/{n}", {}) for n in range(5)])
    statuses = [t.response.status_code for t in timed]
    require(statuses == [200] * 5, f"statuses of five concurrent requests: {statuses}")
