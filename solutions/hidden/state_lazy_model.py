from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import ask_both, require, rule, same_answer
from autograder.engine.proptest import examples
from workbook.upstreams import SENTIMENT_WORDS

words = st.lists(st.sampled_from([*SENTIMENT_WORDS, "tea", "the", "GOOD"]), max_size=8)


@rule("mandate-3", hint="Any text gets the reference's score.")
@examples
@given(text=words.map(" ".join))
def test_any_text_gets_the_reference_score(learner_client, reference_client, text):
    """generated texts get the reference's scores"""
    body = {"text": text}
    same_answer(
        *ask_both(learner_client, reference_client, "POST", "/sentiment", json=body),
        f"POST /sentiment {text!r}",
    )


@rule("mandate-3", hint="However the requests come, the model is downloaded once per app.")
def test_many_requests_one_download(start_learner_app, learner_services):
    """fifty requests, in bursts, download the model once"""
    before = learner_services.model_downloads["sentiment"]
    app = start_learner_app()
    for _ in range(5):
        app.client.concurrently([("POST", "/sentiment", {"json": {"text": "bad"}})] * 10)
    downloaded = learner_services.model_downloads["sentiment"] - before
    app.stop()
    require(
        downloaded == 1, f"Fifty requests in five bursts downloaded the model {downloaded} times."
    )


@rule("mandate-3", hint="Starting is free: the model waits for the first request that needs it.")
def test_starts_that_only_check_health_download_nothing(start_learner_app, learner_services):
    """three starts that only ask /health download nothing"""
    before = learner_services.model_downloads["sentiment"]
    for _ in range(3):
        app = start_learner_app()
        app.client.get("/health")
        app.stop()
    downloaded = learner_services.model_downloads["sentiment"] - before
    require(
        downloaded == 0,
        f"Three starts asking only /health downloaded the model {downloaded} times.",
    )
