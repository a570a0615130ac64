from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.engine.checkkit import ask_both, require, rule, same_answer
from autograder.engine.edges import expect_same_at_the_edges
from autograder.engine.lifespans import lifespan_form_problem
from autograder.engine.proptest import examples
from autograder.engine.sequences import RESTART, Played, machine_settings, play_machine
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


model_steps = st.one_of(
    st.just({"method": "GET", "url": "/health"}),
    st.sampled_from(["good tea", "awful cake", "tea"]).map(
        lambda text: {"method": "POST", "url": "/sentiment", "json": {"text": text}}
    ),
)
SCORED = {"method": "POST", "url": "/sentiment", "json": {"text": "good tea"}}


@rule(
    "mandate-3",
    hint=(
        "Every start-up opens the registry's client again, and every shut-down closes it: a "
        "client made at import and closed by the lifespan is gone for every later start."
    ),
)
def test_restarted_apps_answer_as_restarted_references(
    start_learner_app, learner_services, reference, reference_services
):
    """health checks and scores, with restarts between them, match the reference's, downloads too"""
    marks = {}

    def new_pair():
        marks["reference"] = reference_services.model_downloads["sentiment"]
        pair = Played(
            start_learner_app,
            {"1": reference.app},
            why="(a restart runs the app's lifespan again, as a server that starts again does)",
        )
        marks["learner"] = learner_services.model_downloads["sentiment"]
        return pair

    def mark_learner_start():
        marks["learner"] = learner_services.model_downloads["sentiment"]

    def compare_downloads(pair):
        # The last process lived through every run (earlier ones as lifespan cycles).
        mine = learner_services.model_downloads["sentiment"] - marks["learner"]
        theirs = reference_services.model_downloads["sentiment"] - marks["reference"]
        require(
            mine <= theirs,
            f"{len(pair.runs)} runs of the app, {sum(map(len, pair.runs))} requests: your app "
            f"downloaded the model {mine} times, the reference {theirs} (once per run that "
            "needed it). Keep the model once it is loaded.",
        )

    def paired():
        pair = new_pair()
        pair.started_hooks.append(mark_learner_start)
        return pair

    # Each run that scores waits for a download (0.2 s) in both apps: one short generated
    # sequence beside the written one.
    play_machine(
        paired,
        model_steps,
        restarts=1,
        after=compare_downloads,
        first=[SCORED, RESTART, SCORED],
        at_most=settings(machine_settings, max_examples=1, stateful_step_count=6),
    )


@rule("mandate-3", hint="The limit on a text's length stays where the exercise sets it.")
def test_limits_are_the_reference_limits(learner_client, reference_client, reference_contract):
    """texts at the edge of their declared length get the reference's verdicts"""
    expect_same_at_the_edges(
        learner_client, reference_client, reference_contract, "POST", "/sentiment",
        body={"text": "good tea"},
    )  # fmt: skip


@rule(
    "mandate-3",
    hint="Decorate the lifespan with contextlib's asynccontextmanager, the supported form.",
)
def test_the_lifespan_is_an_async_context_manager(learner_source):
    """the lifespan is written as an async context manager (read from the code)"""
    problem = lifespan_form_problem(learner_source)
    require(not problem, problem)
