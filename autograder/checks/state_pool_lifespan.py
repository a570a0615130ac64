import time

from autograder.engine.checkkit import body_of, expect_status, require, rule, show

CYCLES = 3
SETTLE_SECONDS = 0.3  # closes happen during the runs, before the app serves


def _leaked_after_cycles(start_learner_app, learner_services):
    """Connections to the profile service a fresh app leaves open after CYCLES lifespans."""
    observed = learner_services.observed["profile"]
    opened_before, closed_before = observed.connections, observed.closed
    app = start_learner_app(lifespan_cycles={"count": CYCLES, "path": "/users/1/profile"})
    opened = observed.connections - opened_before
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline and opened - (observed.closed - closed_before) > 0:
        time.sleep(0.02)
    still_open = opened - (observed.closed - closed_before)
    app.stop()
    return opened, still_open


@rule(
    "state-3",
    hint=(
        "Open the client in a lifespan, with `async with httpx.AsyncClient(...) as client: "
        'yield {"profiles": client}`: it is closed whenever the app shuts down.'
    ),
)
def test_no_connection_outlives_its_lifespan(start_learner_app, learner_services):
    """started and stopped three times, the app leaves no connection to the profile service open"""
    opened, still_open = _leaked_after_cycles(start_learner_app, learner_services)
    require(
        opened >= 1,
        f"The app ran {CYCLES} lifespans with a request each and never reached the profile "
        "service.",
    )
    require(
        still_open == 0,
        f"The app was started and shut down {CYCLES} times (as a test suite or a reloading "
        f"server does), one request each: {opened} connection(s) to the profile service were "
        f"opened and {still_open} are still open after every shut-down. A client opened outside "
        "the lifespan is never closed; each one holds its pool until the process dies.",
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
