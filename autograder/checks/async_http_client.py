from autograder.engine.checkkit import (
    UpstreamWitness,
    counted,
    endpoint_in,
    expect_overlap,
    expect_status,
    reported_blocking,
    require,
    rule,
)

ENDPOINT = "/users/{user_id}/profile"
BURST = 10


@rule(
    "async-1",
    hint=(
        "Replace `requests.get` with `await request.app.state.profiles.get(...)`: the "
        "pooled async client waits without holding the loop."
    ),
)
def test_profile_is_fetched_without_blocking(learner_client, learner_report, learner_services):
    """GET /users/{id}/profile fetches the profile without blocking the event loop"""
    response = learner_client.get("/users/1/profile")
    expect_status(response, 200, "GET /users/1/profile")
    expected = learner_services.data.profile_of(1).model_dump()  # this run's profile
    require(
        response.json() == expected,
        f"GET /users/1/profile answered {response.json()}; the profile service holds {expected}.",
    )
    expect_overlap(
        learner_client,
        [("GET", f"/users/{n}/profile", {}) for n in range(1, BURST + 1)],
        "profile requests",
        upstream=UpstreamWitness("the profile service", learner_services.observed["profile"]),
        headline="GET /users/{id}/profile blocked the event loop",
        why="\nA synchronous HTTP client "
        "(requests, httpx.Client) waits on its socket and holds the whole event loop until the "
        "profile service answers: every other request waits."
        + reported_blocking(learner_report, "GET /users"),
    )


@rule(
    "async-1",
    hint=(
        "When the profile service answers 404, raise HTTPException(404, 'User not found')"
        " as before."
    ),
)
def test_unknown_user_is_a_404(learner_client):
    """an unknown user is answered 404"""
    response = learner_client.get("/users/9999/profile")
    expect_status(response, 404, "GET /users/9999/profile")
    require(
        response.json() == {"detail": "User not found"},
        f"GET /users/9999/profile answered {response.json()}; keep the detail 'User not found'.",
    )


@rule(
    "mandate-1",
    hint="Use the client the lifespan keeps on app.state: `request.app.state.profiles`.",
)
def test_requests_share_the_pooled_client(learner_client, learner_services):
    """every request reuses the app's pooled connection to the profile service"""
    learner_client.get("/users/2/profile")  # a pooled client may connect once, here
    observed = learner_services.observed["profile"]
    observed.reset()
    for user_id in (3, 4, 5):
        expect_status(
            learner_client.get(f"/users/{user_id}/profile"), 200, "GET /users/{id}/profile"
        )
    require(
        observed.connections == 0,
        f"3 requests to GET /users/{{id}}/profile opened "
        f"{counted(observed.connections, 'new connection')} to the profile service (the service "
        "counted them). A client per request "
        "opens a fresh connection (TCP handshake, and TLS in production) every time and throws "
        "its pool away; the lifespan's client keeps connections open and shares them.",
    )


@rule("async-1", hint="Keep `async def` and await the pooled httpx.AsyncClient instead.")
def test_the_endpoint_stays_async(learner_source):
    """read_profile stays an async def"""
    endpoint = endpoint_in(learner_source, "GET", ENDPOINT)
    require(endpoint is not None, f'No `@app.get("{ENDPOINT}")` endpoint is declared in the cell.')
    require(
        endpoint.is_async,
        f"`{endpoint.name}` became a plain def. That avoids blocking the loop, but each "
        "waiting request then holds a threadpool thread; with an async client, waiting costs "
        "nothing.",
    )
