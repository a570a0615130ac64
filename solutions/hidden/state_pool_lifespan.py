from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import (
    ask_both,
    connections_left_open,
    require,
    rule,
    same_answer,
)
from autograder.engine.lifespans import lifespan_form_problem
from autograder.engine.proptest import examples
from autograder.engine.sequences import RESTART, Played, play_machine


@rule("state-3", hint="Every user id gets the reference's answer.")
@examples
@given(user_id=st.integers(min_value=-1, max_value=12))
def test_any_user_gets_the_reference_answer(learner_client, reference_client, user_id):
    """any user id gets the reference's answer"""
    url = f"/users/{user_id}/profile"
    same_answer(*ask_both(learner_client, reference_client, "GET", url), f"GET {url}")


@rule("state-3", hint="However many times the app starts and stops, it closes what it opened.")
def test_five_lifespans_leave_nothing_open(start_learner_app, learner_services):
    """started and stopped five times, the app leaves no connection open"""
    _, still_open = connections_left_open(
        start_learner_app, learner_services, "profile", runs=5, path="/users/2/profile"
    )
    require(still_open == 0, f"After five lifespans, {still_open} connection(s) are still open.")


profile_steps = st.integers(min_value=0, max_value=9).map(
    lambda user_id: {"method": "GET", "url": f"/users/{user_id}/profile"}
)


@rule(
    "state-3",
    hint=(
        "Every start-up opens what the app needs, and every shut-down closes it: a client "
        "made at import and closed by the lifespan is gone for every later start."
    ),
)
def test_restarted_apps_answer_as_restarted_references(start_learner_app, reference):
    """profiles asked for, with restarts between them, get the reference's answers"""
    play_machine(
        lambda: Played(
            start_learner_app,
            {"1": reference.app},
            why="(a restart runs the app's lifespan again, as a server that starts again does)",
        ),
        profile_steps,
        first=[FIRST, RESTART, FIRST],
        restarts=1,
    )


FIRST = {"method": "GET", "url": "/users/1/profile"}
REQUESTS = 8


@rule(
    "state-3",
    hint=(
        "One client for the app's life, its pool reused by every request: a client opened per "
        "request (even closed again by a `yield` dependency) opens a connection each time."
    ),
)
def test_requests_share_the_pool(
    learner_client, learner_services, reference_client, reference_services
):
    """eight requests, one after another, reuse the pool's connection as the reference's do"""
    mine, theirs = learner_services.observed["profile"], reference_services.observed["profile"]
    before, reference_before = mine.connections, theirs.connections
    for user_id in range(1, REQUESTS + 1):
        learner_client.get(f"/users/{user_id}/profile")
        reference_client.get(f"/users/{user_id}/profile")
    opened, reference_opened = mine.connections - before, theirs.connections - reference_before
    require(
        opened <= reference_opened + 1,
        f"{REQUESTS} requests, one after another, opened {opened} connections to the profile "
        f"service; the reference's pool opened {reference_opened}. Each new client opens its "
        "own connections (and its own TLS handshake, in production): open one in the lifespan "
        "and let every request use its pool.",
    )


@rule(
    "state-3",
    hint="Decorate the lifespan with contextlib's asynccontextmanager, the supported form.",
)
def test_the_lifespan_is_an_async_context_manager(learner_source):
    """the lifespan is written as an async context manager (read from the code)"""
    problem = lifespan_form_problem(learner_source)
    require(not problem, problem)
