from autograder.engine.checkkit import (
    body_of,
    connections_left_open,
    expect_status,
    require,
    rule,
    show,
)

CYCLES = 3


@rule(
    "state-3",
    hint=(
        "Open the client in a lifespan, with `async with httpx.AsyncClient(...) as client: "
        'yield {"profiles": client}`: it is closed whenever the app shuts down.'
    ),
)
def test_no_connection_outlives_its_lifespan(start_learner_app, learner_services):
    """started and stopped three times, the app leaves no connection to the profile service open"""
    opened, still_open = connections_left_open(
        start_learner_app, learner_services, "profile", runs=CYCLES, path="/users/1/profile"
    )
    require(
        opened >= 1,
        f"The app ran {CYCLES} lifespans with a request each and never reached the profile "
        "service.",
    )
    require(
        still_open == 0,
        f"The app was started, asked once and shut down {CYCLES} times (as a test suite or a "
        f"reloading server does). It opened {opened} connection{'s' * (opened != 1)} to the "
        f"profile service in all, and {still_open} {'was' if still_open == 1 else 'were'} still "
        "open after its last shut-down: a client opened outside the lifespan is never closed, "
        "and holds its pool until the process dies.",
    )


@rule("state-3", hint="The route keeps answering with the profile, through the lifespan's client.")
def test_profiles_are_still_served(learner_client):
    """GET /users/{id}/profile answers the profile, and 404 for an unknown user"""
    response = learner_client.get("/users/1/profile")
    expect_status(response, 200, "GET /users/1/profile")
    require(
        isinstance(body_of(response), dict) and body_of(response).get("id") == 1,
        f"GET /users/1/profile answered {show(response)}.",
    )
    expect_status(learner_client.get("/users/999/profile"), 404, "GET /users/999/profile")


@rule(
    "state-3",
    hint=(
        "Each start-up opens the client its shut-down closes: one made at import and closed by "
        "the lifespan is gone for every later start."
    ),
)
def test_a_restarted_app_still_serves(start_learner_app):
    """started and stopped once, then started again, the app still answers profiles"""
    cycles = {"count": 1, "requests": [[{"method": "GET", "url": "/users/1/profile"}]]}
    app = start_learner_app(lifespan_cycles=cycles)
    response = app.client.get("/users/1/profile")
    app.stop()
    expect_status(response, 200, "GET /users/1/profile, after one start and stop of the app,")


@rule(
    "state-3",
    hint=(
        "One client for the app's life: its pool keeps the connection for the next request. A "
        "client opened per request (even closed by a `yield` dependency) connects every time."
    ),
)
def test_requests_reuse_the_pool(learner_client, learner_services):
    """eight requests, one after another, open at most one new connection"""
    observed = learner_services.observed["profile"]
    before = observed.connections
    for user_id in range(1, 9):
        learner_client.get(f"/users/{user_id}/profile")
    opened = observed.connections - before
    require(
        opened <= 1,
        f"8 requests, one after another, opened {opened} connections to the profile service. "
        "A pooled client keeps its connection for the next request; a client made for each "
        "request opens its own every time.",
    )
