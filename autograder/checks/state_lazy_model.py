import pytest

from autograder.engine.checkkit import body_of, counted, expect_status, require, rule, show

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
        "Starting the app and asking GET /health downloaded the model "
        f"{counted(downloaded, 'time')}. "
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
    # This run's weights: a score is right only if it came from the downloaded model.
    expected = {"score": learner_services.data.sentiment_of("great tea")}
    scored = sorted({str(body_of(t.response)) for t in timed if body_of(t.response) != expected})
    require(
        not scored,
        f"{BURST} first requests at once for 'great tea' answered {', '.join(scored[:3])}; "
        f"the downloaded model scores it {expected['score']}. Score with the model's weights.",
    )
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
def test_scores_are_right(learner_client, learner_services):
    """POST /sentiment scores a text with the model's weights"""
    weights = learner_services.data.sentiment_weights  # this run's model, as it was downloaded
    for text in ("Good tea, awful cake", "love", "slow"):
        with learner_services.quick_partners():  # one request at a time: no race to open
            response = learner_client.post("/sentiment", json={"text": text})
        expect_status(response, 200, "POST /sentiment")
        expected = learner_services.data.sentiment_of(text)
        used = ", ".join(
            f"{word} {weights[word]}" for word in text.lower().split() if word in weights
        )
        require(
            body_of(response) == {"score": expected},
            f"POST /sentiment for {text!r} answered {show(response)}; the model downloaded "
            f"from the registry scores it {expected} ({used}).",
        )


@rule(
    "mandate-3",
    hint=(
        "Each start-up opens the registry's client its shut-down closes: one made at import "
        "and closed by the lifespan is gone for every later start. The model belongs to its "
        "run too: keep it on what the lifespan yields, not in a module global."
    ),
)
def test_a_restarted_app_still_scores(start_learner_app, learner_services):
    """started and stopped once after a score, then started again, the app loads and scores"""
    scored = {"method": "POST", "url": "/sentiment", "json": {"text": "good"}}
    before = _downloads(learner_services)
    with learner_services.quick_partners():  # one request at a time: no race to open
        app = start_learner_app(lifespan_cycles={"count": 1, "requests": [[scored]]})
        served = _downloads(learner_services)  # the earlier run is over: its download counted
        response = app.client.post("/sentiment", json={"text": "good tea"})
    downloaded = _downloads(learner_services) - served
    app.stop()
    expected = {"score": learner_services.data.sentiment_of("good tea")}
    require(
        body_of(response) == expected,
        f"After one start and stop of the app, POST /sentiment answered {show(response)}; "
        f"the model scores it {expected['score']}.",
    )
    require(
        downloaded >= 1,
        f"After one start and stop of the app (which downloaded the model "
        f"{counted(served - before, 'time')}), the restarted app scored without downloading it: it "
        "used the model the earlier run had loaded, kept at module level past that run's "
        "shut-down. Each run loads its own (a new deploy of the model, or a test with its own "
        "registry, would never be seen): keep the model on what the lifespan yields.",
    )


@rule(
    "mandate-3",
    hint=(
        "Make the lock with what it guards, in the lifespan (or the object the lifespan "
        "yields), not at import: an `asyncio.Lock` belongs to the event loop that first waits "
        "on it, and each test's client, each `asyncio.run` and each reload runs the app on a "
        "new one."
    ),
)
def test_a_test_suites_second_app_still_scores(start_learner_app, learner_services):
    """after a run on its own event loop (a test suite's first app), 20 first requests score"""
    scored = {"method": "POST", "url": "/sentiment", "json": {"text": "good"}, "times": BURST}
    first_run = {"own_loop": True, "steps": [scored]}
    # The first run's burst is sent at once from one event loop (asyncio.gather): it contends
    # however quick the download; the second one, from outside, needs the slow download.
    with learner_services.quick_partners():
        app = start_learner_app(lifespan_cycles={"count": 1, "requests": [first_run]})
    burst = [("POST", "/sentiment", {"json": {"text": "great tea"}})] * BURST
    timed, _ = app.client.concurrently(burst)
    app.stop()
    failed = [t.response for t in timed if t.response.status_code != 200]
    expected = {"score": learner_services.data.sentiment_of("great tea")}
    require(
        not failed,
        f"The app was run once on an event loop of its own ({BURST} requests at once, as a "
        "test suite's first test with its own client does), then started again: "
        f"{len(failed)} of its {BURST} first requests at once failed, for one "
        f"{show(failed[0]) if failed else ''}. Something made at import and kept across runs "
        "belongs to the first run's event loop (an `asyncio.Lock` binds to the loop that "
        "first waits on it: 'is bound to a different event loop'). Make the lock in the "
        "lifespan, with the model it guards.",
    )
    wrong = sorted({str(body_of(t.response)) for t in timed if body_of(t.response) != expected})
    require(
        not wrong,
        f"After a first run on its own event loop, {BURST} first requests at once for "
        f"'great tea' answered {', '.join(wrong[:3])}; the model scores it {expected['score']}.",
    )
