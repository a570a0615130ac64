import pytest

from autograder.engine.checkkit import body_of, expect_status, require, rule, show

BURST = 20


def _downloads(services):
    return services.model_downloads["sentiment"]


@pytest.fixture(scope="module")
def fresh_app(start_learner_app, learner_services):
    """One more start of the app, watched from the model registry: (app, downloads before)."""
    before = _downloads(learner_services)
    app = start_learner_app()
    yield app, before
    app.stop()


@rule(
    "mandate-3",
    hint=(
        "Load the model on the first request that needs it, not at import or start-up: a "
        "health check (and every test that imports the module) should not pay for it."
    ),
)
def test_nothing_is_downloaded_before_it_is_needed(fresh_app, learner_services):
    """starting the app and asking /health downloads no model"""
    app, before = fresh_app
    expect_status(app.client.get("/health"), 200, "GET /health")
    downloaded = _downloads(learner_services) - before
    require(
        downloaded == 0,
        f"Starting the app and asking GET /health downloaded the model {downloaded} time(s). "
        "Every start (a deploy, a test run, a reload) pays for it, even when nothing needs it.",
    )


@rule(
    "mandate-3",
    hint=(
        "Twenty first requests at once must share one download: an `asyncio.Lock` around the "
        "load, checked again inside the lock, lets one request load while the others wait."
    ),
)
def test_twenty_first_requests_download_once(fresh_app, learner_services):
    """twenty concurrent first requests download the model once, and all get a score"""
    app, before = fresh_app
    burst = [("POST", "/sentiment", {"json": {"text": "great tea"}})] * BURST
    timed, _ = app.client.concurrently(burst)
    statuses = sorted({t.response.status_code for t in timed})
    downloaded = _downloads(learner_services) - before
    again = app.client.post("/sentiment", json={"text": "good"})
    downloaded_after = _downloads(learner_services) - before
    require(statuses == [200], f"{BURST} first requests at once got the statuses {statuses}.")
    require(
        downloaded == 1,
        f"{BURST} first requests at once downloaded the model {downloaded} times. Load it once, "
        "and keep it: behind a lock, the first requests wait for one download instead of "
        "each starting its own.",
    )
    require(
        downloaded_after == 1,
        f"A later request downloaded the model again ({downloaded_after} downloads in all, "
        f"answered {show(again)}): keep it once it is loaded.",
    )


@rule("mandate-3", hint="The scores stay what the model gives: the sum of the words' weights.")
def test_scores_are_right(learner_client):
    """POST /sentiment scores a text with the model's weights"""
    response = learner_client.post("/sentiment", json={"text": "Good tea, awful cake"})
    expect_status(response, 200, "POST /sentiment")
    require(
        body_of(response) == {"score": -0.5},
        f"POST /sentiment for 'Good tea, awful cake' answered {show(response)}; the model "
        "scores it -0.5 (good 1.0, awful -1.5).",
    )
