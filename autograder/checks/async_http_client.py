import inspect

from autograder.engine.checkkit import (
    expect_status,
    fail,
    new_clients_counted,
    operation,
    require,
    rule,
)
from autograder.engine.driver import BlockedEventLoop
from workbook.upstreams import profile_of

ENDPOINT = "/users/{user_id}/profile"


def explained(error: BlockedEventLoop) -> str:
    """The blocked-loop report, quoting the learner's line, and (once) what it costs."""
    return str(error) + (
        "\nA synchronous HTTP client (requests, httpx.Client) waits on its socket and holds "
        "the whole event loop until the profile service answers: every other request waits."
    )


def get(client, url, *, why=False):
    try:
        return client.get(url)
    except BlockedEventLoop as error:
        fail(explained(error) if why else f"{error} (the first check says why)")
        raise


@rule("async-1")
def test_profile_is_fetched_without_blocking(learner_client):
    """GET /users/{id}/profile fetches the profile without blocking the event loop"""
    response = get(learner_client, "/users/1/profile", why=True)
    expect_status(response, 200, "GET /users/1/profile")
    expected = profile_of(1).model_dump()
    require(
        response.json() == expected,
        f"GET /users/1/profile answered {response.json()}; the profile service holds {expected}.",
    )


@rule("async-1")
def test_unknown_user_is_a_404(learner_client):
    """an unknown user is answered 404, still without blocking"""
    response = get(learner_client, "/users/9999/profile")
    expect_status(response, 404, "GET /users/9999/profile")
    require(
        response.json() == {"detail": "User not found"},
        f"GET /users/9999/profile answered {response.json()}; keep the detail 'User not found'.",
    )


@rule(
    "mandate-1",
    hint="Use the client the lifespan keeps on app.state: `request.app.state.profiles`.",
)
def test_requests_share_the_pooled_client(learner_client):
    """every request reuses the app's pooled client"""
    with new_clients_counted() as opened:
        for user_id in (2, 3, 4):
            get(learner_client, f"/users/{user_id}/profile")
    require(
        not opened,
        f"3 requests to GET /users/{{id}}/profile constructed {len(opened)} new client(s) "
        f"({', '.join(sorted(set(opened)))}). A client per request opens a fresh connection "
        "(TCP handshake, and TLS in production) every time and throws its pool away; the "
        "lifespan's client keeps connections open and shares them.",
    )


@rule("async-1", hint="Keep `async def` and await the pooled httpx.AsyncClient instead.")
def test_the_endpoint_stays_async(learner_app):
    """read_profile stays an async def"""
    endpoint = operation(learner_app, "GET", ENDPOINT).endpoint
    require(
        inspect.iscoroutinefunction(endpoint),
        f"`{endpoint.__name__}` became a plain def. That avoids blocking the loop, but each "
        "waiting request then holds a threadpool thread; with an async client, waiting costs "
        "nothing.",
    )
